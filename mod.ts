/**
 * codex-login as a library: run the Codex CLI's "sign in with ChatGPT" flow in-process,
 * read and write the stored credentials, and reuse the pieces (PKCE, JWT claims, issuer
 * client, Codex's config.toml).
 *
 * @example Sign in (here the sign-in is cancelled at once; a real one waits for the browser)
 * ```ts
 * import assert from "node:assert/strict";
 * import { CodexHome, LoginError, resolveIssuer, startLogin } from "./mod.ts";
 * const home = new CodexHome(await Deno.makeTempDir());
 * const session = await startLogin({ home, endpoints: resolveIssuer(), port: 0 });
 * assert.match(session.authUrl, /\/oauth\/authorize\?/);
 * session.cancel();
 * await assert.rejects(session.result, (e) => e instanceof LoginError && e.exitCode === 130);
 * ```
 *
 * @module
 */

export {
  DEFAULT_LOGIN_TIMEOUT_MS,
  DEFAULT_PORT,
  type LoginDeps,
  type LoginRequest,
  type LoginSession,
  startLogin,
} from "./lib/signin/login_server.ts";
export { CALLBACK_PATH, type PasteReply } from "./lib/signin/login_types.ts";
export { type ClaimDeps } from "./lib/loopback/port_claim.ts";
export {
  type LoginResult,
  resolveSignInContext,
  type SignInContext,
  type SignInDeps,
  type SignInRequest,
} from "./lib/signin/sign_in.ts";
export {
  type ApiKeyAuth,
  type AuthData,
  AuthFileError,
  type AuthMode,
  type ChatGptAuth,
  type OAuthProvenance,
  type OtherAuth,
  parseAuthData,
  personalAccessTokenRecord,
  provenanceOf,
  resolveAuthMode,
  type StoredTokens,
} from "./lib/store/auth_data.ts";
export { CodexHome, type HomeSource, type Platform } from "./lib/store/codex_home.ts";
export { type CredentialStore, type LockedStore } from "./lib/store/credential_store.ts";
export { openCredentialStore, type StoreChoice } from "./lib/store/open_store.ts";
export {
  KEYRING_SERVICE,
  keyringAccount,
  type KeyringBackend,
  KeyringCredentialStore,
  osKeyring,
} from "./lib/store/keyring_store.ts";
export {
  FileCredentialStore,
  readAuthFile,
  removeAuthFile,
  saveAuthFile,
} from "./lib/store/file_store.ts";
export { LOCK_WAIT_MS, withAuthLock } from "./lib/store/auth_lock.ts";
export {
  CONFIG_KEYS,
  CREDENTIALS_STORE_MODES,
  type CredentialsStoreMode,
  FORCED_LOGIN_METHODS,
  type ForcedLoginMethod,
  loadSettings,
  parseSettings,
  type Settings,
} from "./lib/store/config.ts";
export {
  ERROR_KINDS,
  type ErrorKindInfo,
  type ErrorParts,
  ExitCode,
  type ExitCodeValue,
  LoginError,
  type LoginErrorKind,
} from "./lib/base/errors.ts";
export {
  type EventKind,
  type EventValue,
  type FlowEvent,
  type Report,
  silent,
} from "./lib/base/events.ts";
export {
  DEFAULT_CLIENT_ID,
  DEFAULT_ISSUER,
  type IssuerEndpoints,
  type IssuerInput,
  resolveIssuer,
} from "./lib/issuer/issuer_config.ts";
export {
  apiKeyName,
  type DeviceCode,
  type DeviceGrant,
  type IssuerCall,
  IssuerClient,
  type IssuerClientOptions,
  IssuerError,
  issuerFailure,
  type IssuerStep,
  type RefreshedTokens,
  type RefreshReason,
  type SignInTokens,
  type TokenSet,
} from "./lib/issuer/issuer.ts";
export { type IssuerFailureClass } from "./lib/issuer/issuer_types.ts";
export {
  DEFAULT_REQUEST_TIMEOUT_MS,
  type HttpAnswer,
  HttpClient,
  HttpError,
  type HttpFailure,
  type HttpOptions,
  type RequestBody,
  type RequestOptions,
} from "./lib/issuer/http_client.ts";
export { generatePkce, generateState, type Pkce, s256Challenge } from "./lib/base/pkce.ts";
export { type AccountClaims, accountClaims, decodeJwtClaims, isExpired } from "./lib/issuer/jwt.ts";
export { type JsonObject } from "./lib/base/json.ts";
export {
  type BrowserCommand,
  browserCommands,
  type BrowserPlatform,
  type CommandRunner,
  openBrowser,
} from "./lib/cli/browser_opener.ts";
export { type CliIo, runCli } from "./lib/cli/cli.ts";
export { type LineReader } from "./lib/cli/typed_lines.ts";
export {
  logout,
  type LogoutOutcome,
  saveAccessToken,
  saveApiKey,
  validateApiKey,
} from "./lib/signin/account.ts";
export { formatStatus, getStatus, type StatusReport } from "./lib/signin/status_report.ts";
export {
  type CurrentToken,
  currentToken,
  refreshAuth,
  type RefreshOptions,
  refreshReason,
  shouldRefresh,
} from "./lib/signin/token_refresh.ts";
export { type TokenIdentity, whoAmI } from "./lib/issuer/access_token.ts";
export { pollDeviceToken, requestDeviceCode } from "./lib/issuer/device_code.ts";
export {
  methodRefusal,
  policyViolations,
  type SignInMethod,
  workspaceAllowed,
} from "./lib/signin/policy.ts";
export {
  DEVICE_TIMEOUT_MS,
  deviceLogin,
  type DeviceLoginDeps,
  type DeviceLoginRequest,
} from "./lib/signin/device_auth.ts";
export { parsePastedRedirect } from "./lib/signin/paste.ts";
export { readSecret, type SecretSource } from "./lib/cli/secret_input.ts";
export { VERSION } from "./lib/base/version.ts";
export { LOG_ROTATE_BYTES, LoginLog, type LogValue } from "./lib/store/login_log.ts";
export {
  loadCaCerts,
  Network,
  NETWORK_ENV,
  type NetworkEnv,
  networkFromEnv,
  NetworkRoutes,
  proxyFor,
} from "./lib/issuer/network.ts";
export {
  type Endpoint,
  findPeer,
  parseLsof,
  parseSs,
  type PeerTool,
  runTool,
  type SocketRecord,
  type ToolOutput,
  type ToolRunner,
} from "./lib/loopback/peer_owner.ts";
export { type Admit } from "./lib/loopback/http_server.ts";
export {
  type Admission,
  admitPeers,
  type LookupOptions,
  type PeerAnswer,
  PeerLookup,
} from "./lib/loopback/peer_lookup.ts";
export {
  type AccountEntry,
  type CopyStore,
  type LockedAccounts,
  SAVED_KEYRING_SERVICE,
  SavedAccounts,
} from "./lib/store/saved_accounts.ts";
export {
  type AccountFacts,
  accountFacts,
  type MixedAccounts,
  mixedAccounts,
} from "./lib/signin/account_identity.ts";
export {
  type AccountRow,
  accountRows,
  activeCredentials,
  resolveAccount,
} from "./lib/signin/accounts.ts";
export { accountKeeper, type KeeperOptions } from "./lib/signin/account_keeper.ts";
export {
  switchAccount,
  type SwitchDeps,
  type SwitchOutcome,
  type SwitchRequest,
} from "./lib/signin/switch.ts";
export {
  type CodexDetection,
  type CodexProcess,
  detectCodex,
  type DetectOptions,
  type LsofOutput,
  type LsofRunner,
} from "./lib/signin/codex_running.ts";
export {
  type AccountUsage,
  DEFAULT_CHATGPT_BASE_URL,
  fetchUsage,
  type UsageOptions,
  usageUrl,
  type UsageWindow,
} from "./lib/signin/usage.ts";
export { type SignInKeeper } from "./lib/signin/sign_in.ts";
