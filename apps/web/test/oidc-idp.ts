// A real OpenID provider (oidc-provider, with its development login and consent pages) on
// loopback, for the OIDC sign-in tests. A second provider with another issuer sits behind
// /wrong/: `wrongIssuer(true)` serves its discovery document at the root, so the relying party
// is sent to an IdP whose ID tokens name an issuer other than the configured one.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import Provider, { type Configuration } from "oidc-provider";

interface IdpAccount {
  email: string;
  email_verified: boolean;
  name?: string;
  groups?: string[];
}

export interface TestIdp {
  issuer: string;
  /** Login name (typed into the IdP's login page) -> claims. */
  accounts: Map<string, IdpAccount>;
  wrongIssuer(on: boolean): void;
  close(): Promise<void>;
}

export async function startTestIdp(options: {
  port: number;
  clientId: string;
  clientSecret: string;
  redirectUri: string;
}): Promise<TestIdp> {
  const issuer = `http://127.0.0.1:${options.port}`;
  const accounts = new Map<string, IdpAccount>();
  const configuration = (): Configuration => ({
    clients: [
      {
        client_id: options.clientId,
        client_secret: options.clientSecret,
        redirect_uris: [options.redirectUri],
        grant_types: ["authorization_code"],
        response_types: ["code"],
      },
    ],
    claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"], groups: ["groups"] },
    scopes: ["openid", "email", "profile", "groups"],
    ttl: { Interaction: 600, Session: 600, Grant: 600, AccessToken: 600, IdToken: 600 },
    async findAccount(_ctx, id) {
      const account = accounts.get(id);
      return account ? { accountId: id, claims: () => ({ sub: id, ...account }) } : undefined;
    },
  });
  const right = new Provider(issuer, configuration()).callback();
  const wrong = new Provider(`${issuer}/wrong`, configuration()).callback();
  let useWrong = false;
  const server = createServer((req: IncomingMessage & { originalUrl?: string }, res: ServerResponse) => {
    const url = req.url ?? "/";
    if (url.startsWith("/wrong/")) {
      // As a framework mounting it at /wrong would: oidc-provider builds its URLs from originalUrl.
      req.originalUrl = url;
      req.url = url.slice("/wrong".length);
      return wrong(req, res);
    }
    if (useWrong && url.startsWith("/.well-known/")) {
      req.originalUrl = `/wrong${url}`;
      return wrong(req, res);
    }
    return right(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, "127.0.0.1", resolve);
  });
  return {
    issuer,
    accounts,
    wrongIssuer(on) {
      useWrong = on;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
