/**
 * The environment sweep of a Codex surface snapshot: `codex login status` under each variable
 * Codex reads for its credentials, alone and in the combinations it checks. The combinations
 * come from what Codex itself tells apart (its messages: "workload identity requires X",
 * "SPIFFE settings require OPENAI_IDENTITY_TOKEN_SOURCE=spiffe", "SPIFFE authentication cannot
 * also set OPENAI_IDENTITY_TOKEN_FILE", "... must be file or spiffe", "... must be an absolute
 * path", the SPIFFE endpoint and ID checks) and from which credential wins when several are set
 * (API keys, a personal access token checked by `whoami`, Bedrock, workload identity).
 *
 * Each value is fixed, so the text Codex prints is the same on every run; the row's name says
 * which variables are set (and the value, where the value is what is being tried).
 *
 * @module
 */

/** The fixed values the sweep sets, and the files it points at (made by `sweepFiles`). */
export interface SweepValues {
  /** An absolute path to a readable assertion (OPENAI_IDENTITY_TOKEN_FILE). */
  tokenFile: string;
  /** An absolute path that does not exist. */
  missingFile: string;
}

/** The personal access token the fake issuer's `whoami` accepts during the sweep. */
export const KNOWN_ACCESS_TOKEN = "at-sweep-known-0123456789abcdef";

const V = {
  CODEX_API_KEY: "sk-proj-sweep-codex-0123456789",
  OPENAI_API_KEY: "sk-proj-sweep-openai-012345678",
  AWS_BEARER_TOKEN_BEDROCK: "bedrock-sweep-token-0123456789",
  OPENAI_FEDERATION_RULE_ID: "fr_sweep",
  OPENAI_SPIFFE_AUDIENCE: "sweep-audience",
  OPENAI_SPIFFE_ID: "spiffe://sweep.example/codex",
  SPIFFE_ENDPOINT_SOCKET: "unix:///run/codex-sweep/missing.sock",
};

/** The assertion the token file holds (an unsigned JWT; the fake issuer only records it). */
export const SWEEP_ASSERTION = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJzd2VlcCJ9.c3dlZXA";

/** Each row: its name, and the variables it sets. */
export function sweepRows(v: SweepValues): [string, Record<string, string>][] {
  const file = { OPENAI_IDENTITY_TOKEN_FILE: v.tokenFile };
  const rule = { OPENAI_FEDERATION_RULE_ID: V.OPENAI_FEDERATION_RULE_ID };
  const spiffeNoRule = {
    OPENAI_IDENTITY_TOKEN_SOURCE: "spiffe",
    OPENAI_SPIFFE_AUDIENCE: V.OPENAI_SPIFFE_AUDIENCE,
    SPIFFE_ENDPOINT_SOCKET: V.SPIFFE_ENDPOINT_SOCKET,
  };
  const spiffe = { ...spiffeNoRule, ...rule };
  const pat = { CODEX_ACCESS_TOKEN: KNOWN_ACCESS_TOKEN };
  const source = (s: string) => ({ OPENAI_IDENTITY_TOKEN_SOURCE: s });
  const one = (name: keyof typeof V) => ({ [name]: V[name] });
  return [
    ["no variable", {}],
    ["API key: CODEX_API_KEY", one("CODEX_API_KEY")],
    ["API key: OPENAI_API_KEY", one("OPENAI_API_KEY")],
    ["API key: CODEX_API_KEY + OPENAI_API_KEY", {
      ...one("CODEX_API_KEY"),
      ...one("OPENAI_API_KEY"),
    }],
    ["access token: CODEX_ACCESS_TOKEN (whoami accepts it)", pat],
    ["access token: CODEX_ACCESS_TOKEN (whoami refuses it, 401)", {
      CODEX_ACCESS_TOKEN: "at-sweep-unknown-0123456789abcd",
    }],
    ["Bedrock: AWS_BEARER_TOKEN_BEDROCK", one("AWS_BEARER_TOKEN_BEDROCK")],
    ["workload identity: OPENAI_IDENTITY_TOKEN_SOURCE=file", source("file")],
    [
      "workload identity: OPENAI_IDENTITY_TOKEN_SOURCE=spiffe",
      source("spiffe"),
    ],
    ["workload identity: OPENAI_IDENTITY_TOKEN_SOURCE=bogus", source("bogus")],
    ["workload identity: OPENAI_FEDERATION_RULE_ID", rule],
    ["workload identity: OPENAI_IDENTITY_TOKEN_FILE", file],
    [
      "workload identity: OPENAI_SPIFFE_AUDIENCE",
      one("OPENAI_SPIFFE_AUDIENCE"),
    ],
    ["workload identity: OPENAI_SPIFFE_ID", one("OPENAI_SPIFFE_ID")],
    [
      "workload identity: SPIFFE_ENDPOINT_SOCKET",
      one("SPIFFE_ENDPOINT_SOCKET"),
    ],
    // The assertion file: complete, and each part missing or wrong.
    ["workload identity (file): RULE_ID + TOKEN_FILE", { ...rule, ...file }],
    ["workload identity (file): SOURCE=file + RULE_ID + TOKEN_FILE", {
      ...source("file"),
      ...rule,
      ...file,
    }],
    ["workload identity (file): SOURCE=file + RULE_ID", {
      ...source("file"),
      ...rule,
    }],
    ["workload identity (file): SOURCE=file + TOKEN_FILE", {
      ...source("file"),
      ...file,
    }],
    ["workload identity (file): RULE_ID + TOKEN_FILE=relative", {
      ...rule,
      OPENAI_IDENTITY_TOKEN_FILE: "identity-token.jwt",
    }],
    ["workload identity (file): RULE_ID + TOKEN_FILE=missing", {
      ...rule,
      OPENAI_IDENTITY_TOKEN_FILE: v.missingFile,
    }],
    ["workload identity (file): RULE_ID=empty + TOKEN_FILE", {
      OPENAI_FEDERATION_RULE_ID: "",
      ...file,
    }],
    ["workload identity (file): RULE_ID + TOKEN_FILE + SPIFFE_AUDIENCE", {
      ...rule,
      ...file,
      ...one("OPENAI_SPIFFE_AUDIENCE"),
    }],
    // SPIFFE: complete (its socket absent), each part missing or wrong, and mixed with a file.
    ["workload identity (SPIFFE): SOURCE=spiffe + RULE_ID", {
      ...source("spiffe"),
      ...rule,
    }],
    ["workload identity (SPIFFE): SOURCE=spiffe + RULE_ID + AUDIENCE", {
      ...source("spiffe"),
      ...rule,
      ...one("OPENAI_SPIFFE_AUDIENCE"),
    }],
    ["workload identity (SPIFFE): SOURCE=spiffe + RULE_ID + SOCKET", {
      ...source("spiffe"),
      ...rule,
      ...one("SPIFFE_ENDPOINT_SOCKET"),
    }],
    [
      "workload identity (SPIFFE): SOURCE=spiffe + RULE_ID + AUDIENCE + SOCKET",
      spiffe,
    ],
    ["workload identity (SPIFFE): ... + SOCKET + SPIFFE_ID", {
      ...spiffe,
      ...one("OPENAI_SPIFFE_ID"),
    }],
    ["workload identity (SPIFFE): ... + SOCKET + SPIFFE_ID=not-an-id", {
      ...spiffe,
      OPENAI_SPIFFE_ID: "not-an-id",
    }],
    ["workload identity (SPIFFE): ... + SOCKET=tcp", {
      ...spiffe,
      SPIFFE_ENDPOINT_SOCKET: "tcp://127.0.0.1:1",
    }],
    ["workload identity (SPIFFE): ... + SOCKET + TOKEN_FILE", {
      ...spiffe,
      ...file,
    }],
    [
      "workload identity (SPIFFE): SOURCE=spiffe + AUDIENCE + SOCKET",
      spiffeNoRule,
    ],
    ["workload identity (SPIFFE): RULE_ID + AUDIENCE", {
      ...rule,
      ...one("OPENAI_SPIFFE_AUDIENCE"),
    }],
    ["workload identity (SPIFFE): RULE_ID + SPIFFE_ID", {
      ...rule,
      ...one("OPENAI_SPIFFE_ID"),
    }],
    ["workload identity (SPIFFE): RULE_ID + SOCKET", {
      ...rule,
      ...one("SPIFFE_ENDPOINT_SOCKET"),
    }],
    ["workload identity: SOURCE=bogus + RULE_ID", {
      ...source("bogus"),
      ...rule,
    }],
    ["workload identity: SOURCE=bogus + RULE_ID + TOKEN_FILE", {
      ...source("bogus"),
      ...rule,
      ...file,
    }],
    // Which credential wins when several are set.
    ["precedence: CODEX_API_KEY + CODEX_ACCESS_TOKEN", {
      ...one("CODEX_API_KEY"),
      ...pat,
    }],
    ["precedence: OPENAI_API_KEY + CODEX_ACCESS_TOKEN", {
      ...one("OPENAI_API_KEY"),
      ...pat,
    }],
    ["precedence: CODEX_ACCESS_TOKEN + AWS_BEARER_TOKEN_BEDROCK", {
      ...pat,
      ...one("AWS_BEARER_TOKEN_BEDROCK"),
    }],
    ["precedence: CODEX_API_KEY + RULE_ID + TOKEN_FILE", {
      ...one("CODEX_API_KEY"),
      ...rule,
      ...file,
    }],
    ["precedence: OPENAI_API_KEY + RULE_ID + TOKEN_FILE", {
      ...one("OPENAI_API_KEY"),
      ...rule,
      ...file,
    }],
    ["precedence: CODEX_ACCESS_TOKEN + RULE_ID + TOKEN_FILE", {
      ...pat,
      ...rule,
      ...file,
    }],
    ["precedence: CODEX_ACCESS_TOKEN + SOURCE=bogus", {
      ...pat,
      ...source("bogus"),
    }],
    ["precedence: AWS_BEARER_TOKEN_BEDROCK + RULE_ID + TOKEN_FILE", {
      ...one("AWS_BEARER_TOKEN_BEDROCK"),
      ...rule,
      ...file,
    }],
  ];
}
