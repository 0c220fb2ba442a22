/**
 * codex-login as a library: run the Codex CLI's "sign in with ChatGPT" flow in-process,
 * read and write the stored credentials, and reuse the pieces (PKCE, JWT claims, issuer
 * client, Codex's config.toml).
 *
 * @example Sign in (here the sign-in is cancelled at once; a real one waits for the browser)
 * ```ts
 * import assert from "node:assert/strict";
 * import { LoginError, startLogin } from "./mod.ts";
 * const codexHome = await Deno.makeTempDir();
 * const session = await startLogin({ codexHome, port: 0, log: () => {} });
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
  type LoginOptions,
  type LoginSession,
  startLogin,
} from "./lib/login_server.ts";
export {
  type LoginResult,
  resolveSignInContext,
  type SignInContext,
  type SignInOptions,
} from "./lib/sign_in.ts";
export {
  type ApiKeyAuth,
  type AuthData,
  AuthFileError,
  type AuthMode,
  type ChatGptAuth,
  type OtherAuth,
  parseAuthData,
  resolveAuthMode,
  type StoredTokens,
} from "./lib/auth_data.ts";
export { authFilePath, type Platform, resolveCodexHome } from "./lib/codex_home.ts";
export {
  type CredentialStore,
  type LockedStore,
  openCredentialStore,
  type StoreChoice,
} from "./lib/credential_store.ts";
export {
  KEYRING_SERVICE,
  keyringAccount,
  type KeyringBackend,
  KeyringCredentialStore,
  osKeyring,
} from "./lib/keyring_store.ts";
export {
  FileCredentialStore,
  readAuthFile,
  removeAuthFile,
  saveAuthFile,
  withAuthLock,
} from "./lib/file_store.ts";
export {
  type CredentialsStoreMode,
  type ForcedLoginMethod,
  loadSettings,
  parseSettings,
  type Settings,
} from "./lib/config.ts";
export { ExitCode, type ExitCodeValue, LoginError, type LoginErrorKind } from "./lib/errors.ts";
export { DEFAULT_CLIENT_ID, DEFAULT_ISSUER } from "./lib/issuer_config.ts";
export {
  apiKeyName,
  type DeviceCode,
  type DeviceGrant,
  IssuerClient,
  type IssuerClientOptions,
  IssuerError,
  type IssuerStep,
  type RefreshedTokens,
  type TokenSet,
} from "./lib/issuer.ts";
export {
  DEFAULT_REQUEST_TIMEOUT_MS,
  type HttpAnswer,
  HttpClient,
  HttpError,
  type HttpFailure,
  type HttpOptions,
  type RequestBody,
  type RequestOptions,
} from "./lib/http_client.ts";
export { generatePkce, generateState, type Pkce, s256Challenge } from "./lib/pkce.ts";
export { type AccountClaims, accountClaims, decodeJwtClaims, isExpired } from "./lib/jwt.ts";
export { type JsonObject } from "./lib/json.ts";
export {
  type BrowserCommand,
  browserCommands,
  type BrowserPlatform,
  type CommandRunner,
  openBrowser,
} from "./lib/browser_opener.ts";
export { type CliIo, runCli } from "./lib/cli.ts";
export {
  formatStatus,
  getStatus,
  logout,
  type LogoutOutcome,
  saveApiKey,
  type StatusReport,
  validateApiKey,
} from "./lib/account.ts";
export { currentToken, refreshAuth, shouldRefresh } from "./lib/token_refresh.ts";
export {
  methodRefusal,
  policyViolations,
  type SignInMethod,
  workspaceAllowed,
} from "./lib/policy.ts";
export { DEVICE_TIMEOUT_MS, deviceLogin, type DeviceLoginOptions } from "./lib/device_auth.ts";
export { parsePastedRedirect } from "./lib/paste.ts";
export { readSecret, type SecretSource } from "./lib/secret_input.ts";
export { VERSION } from "./lib/version.ts";
export { LOG_ROTATE_BYTES, logFilePath, LoginLog, type LogValue } from "./lib/login_log.ts";
export {
  loadCaCerts,
  NETWORK_ENV,
  type NetworkEnv,
  networkFromEnv,
  NetworkRoutes,
  proxyFor,
} from "./lib/network.ts";
