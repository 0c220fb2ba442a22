import assert from "node:assert/strict";
import {
  AuthFileError,
  parseAuthData,
  resolveAuthMode,
  serializeAuth,
} from "../../lib/store/auth_data.ts";

const FIXTURES = new URL("../fixtures/auth/", import.meta.url);

/** Each fixture and the mode Codex resolves for it (see tests/fixtures/auth/README.md). */
const EXPECTED: Record<string, string> = {
  "chatgpt.json": "chatgpt",
  "chatgpt_no_key_no_account.json": "chatgpt",
  "chatgpt_with_unknown_fields.json": "chatgpt",
  "legacy_seed_no_mode.json": "chatgpt",
  "apikey.json": "apikey",
  "apikey_no_mode.json": "apikey",
  "chatgpt_auth_tokens.json": "chatgptAuthTokens",
  "agent_identity_jwt.json": "agentIdentity",
  "agent_identity_record.json": "agentIdentity",
  "personal_access_token.json": "personalAccessToken",
  "personal_access_token_no_mode.json": "personalAccessToken",
  "bedrock_api_key.json": "bedrockApiKey",
  "bedrock_api_key_no_mode.json": "bedrockApiKey",
  "bedrock_access_keys.json": "bedrockAccessKeys",
  "bedrock_access_keys_no_mode.json": "bedrockAccessKeys",
  "chatgpt_codex_0169.json": "chatgpt",
  "personal_access_token_0169.json": "personalAccessToken",
};

async function fixture(name: string): Promise<Record<string, unknown>> {
  return JSON.parse(await Deno.readTextFile(new URL(name, FIXTURES)));
}

Deno.test("every fixture is listed: one per shape Codex writes", () => {
  const files = [...Deno.readDirSync(FIXTURES)].map((e) => e.name).filter((n) =>
    n.endsWith(".json")
  );
  assert.deepEqual(files.sort(), Object.keys(EXPECTED).sort());
});

for (const [name, mode] of Object.entries(EXPECTED)) {
  Deno.test(`auth.json ${name}: resolves to ${mode} as Codex does, round-trips every field`, async () => {
    const raw = await fixture(name);
    assert.equal(resolveAuthMode(raw), mode);
    const parsed = parseAuthData(name, raw);
    assert.equal(parsed.auth_mode, mode);
    const written = JSON.parse(serializeAuth(parsed));
    // Every field Codex wrote is still there, unchanged; only the mode may be made explicit.
    for (const [key, value] of Object.entries(raw)) {
      if (key === "auth_mode") continue;
      assert.deepEqual(written[key], value, `${name}: ${key} kept`);
    }
    assert.equal(resolveAuthMode(written), mode, "Codex reads what we write the same way");
    assert.deepEqual(parseAuthData(name, written), parsed, "idempotent");
  });
}

Deno.test('account_id is null (not "") when the file has none; tokens keep unknown fields', async () => {
  const parsed = parseAuthData("x", await fixture("chatgpt_no_key_no_account.json"));
  assert.equal((parsed.tokens as { account_id: unknown }).account_id, null);
  const extra = parseAuthData("x", await fixture("chatgpt_with_unknown_fields.json"));
  assert.equal((extra.tokens as Record<string, unknown>).token_extra, "kept");
  assert.deepEqual(extra.future_setting, { nested: [1, 2, 3] });
});

Deno.test("unusable shapes are AuthFileErrors that name the problem", () => {
  const cases: [unknown, RegExp][] = [
    [{ auth_mode: "apikey" }, /holds no OPENAI_API_KEY/],
    [{ auth_mode: "personalAccessToken" }, /holds no personal_access_token/],
    [{ auth_mode: "bedrockApiKey", bedrock_api_key: null }, /holds no bedrock_api_key/],
    [{ auth_mode: "headers" }, /does not know \(headers\)/],
    [{ auth_mode: "chatgpt", tokens: { id_token: 1 } }, /tokens\.id_token/],
    [{}, /neither tokens nor an API key/],
  ];
  for (const [value, message] of cases) {
    assert.throws(() => parseAuthData("auth.json", value), (e: unknown) => {
      assert.ok(e instanceof AuthFileError);
      assert.match(e.message, message);
      return true;
    });
  }
});
