/**
 * codex-login as a library: run the Codex CLI's "sign in with ChatGPT" flow in-process,
 * read and write `auth.json`, and reuse the pieces (PKCE, JWT claims, issuer client).
 *
 * @example Sign in and wait
 * ```ts ignore
 * import { startLogin } from "./mod.ts";
 * const session = await startLogin({ codexHome: "/home/me/.codex", port: 1455 });
 * console.error(`Open ${session.authUrl}`);
 * const result = await session.result; // rejects with a LoginError (see exitCode)
 * console.error(`Signed in: ${result.authFile}`);
 * ```
 *
 * @module
 */

export {
  DEFAULT_PORT,
  DEFAULT_TIMEOUT_MS,
  type LoginOptions,
  type LoginResult,
  type LoginSession,
  startLogin,
} from "./lib/login_server.ts";
export {
  type ApiKeyAuth,
  type AuthData,
  AuthFileError,
  authFilePath,
  type ChatGptAuth,
  type Platform,
  readAuthFile,
  removeAuthFile,
  resolveCodexHome,
  saveAuthFile,
  type StoredTokens,
  withAuthLock,
} from "./lib/auth_store.ts";
export { ExitCode, type ExitCodeValue, LoginError, type LoginErrorKind } from "./lib/errors.ts";
export {
  apiKeyName,
  DEFAULT_CLIENT_ID,
  DEFAULT_ISSUER,
  IssuerClient,
  type IssuerClientOptions,
  IssuerError,
  type IssuerStep,
  type RefreshedTokens,
  type TokenSet,
} from "./lib/issuer.ts";
export { HttpError, type HttpFailure, type HttpOptions } from "./lib/http_client.ts";
export { generatePkce, generateState, type Pkce, s256Challenge } from "./lib/pkce.ts";
export {
  type AccountClaims,
  accountClaims,
  decodeJwtClaims,
  isExpired,
  type JsonObject,
} from "./lib/jwt.ts";
export {
  type BrowserCommand,
  browserCommands,
  type BrowserPlatform,
  type CommandRunner,
  openBrowser,
} from "./lib/browser.ts";
export { type CliIo, runCli } from "./lib/cli.ts";
export {
  formatStatus,
  getStatus,
  logout,
  type LogoutOutcome,
  refreshAuth,
  saveApiKey,
  type StatusReport,
  validateApiKey,
} from "./lib/account.ts";
export { DEVICE_TIMEOUT_MS, deviceLogin, type DeviceLoginOptions } from "./lib/device_auth.ts";
export { parsePastedRedirect } from "./lib/paste.ts";
export { readSecret, type SecretSource } from "./lib/secret_input.ts";
export { VERSION } from "./lib/version.ts";
