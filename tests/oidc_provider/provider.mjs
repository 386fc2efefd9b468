// A real OpenID provider for tests and local tries: the certified `oidc-provider` (npm), in memory.
//
//   node tests/oidc_provider/provider.mjs --port 9000 --redirect http://127.0.0.1:8000/oidc/callback
//
// Issuer http://127.0.0.1:PORT, one confidential client (--client-id / --client-secret, or the
// OIDC_TEST_CLIENT_SECRET environment variable), the accounts below with a `groups` claim, and the
// library's own login and consent pages (any password is accepted for a known account). Signing
// keys (RS256 and ES256) are generated at each start, so a restart is a key rotation.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';

import Provider from 'oidc-provider';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '9000' },
    redirect: { type: 'string', multiple: true, default: ['http://127.0.0.1:8000/oidc/callback'] },
    'post-logout': { type: 'string', multiple: true, default: ['http://127.0.0.1:8000/login?logged_out=1'] },
    'client-id': { type: 'string', default: 'release-host' },
    'client-secret': { type: 'string', default: process.env.OIDC_TEST_CLIENT_SECRET || 'release-host-test-secret' },
    'id-token-alg': { type: 'string', default: 'RS256' },
    'id-token-ttl': { type: 'string', default: '3600' },
  },
});

const ACCOUNTS = {
  olga: { name: 'Olga External', email: 'olga@partner.example', groups: ['release-admins', 'staff'] },
  eric: { name: 'Eric Viewer', email: 'eric@partner.example', groups: ['viewers'] },
  nora: { name: 'Nora Nogroup', email: 'nora@partner.example', groups: [] },
  ines: { name: 'Ines Lookalike', email: 'ines@partner.example', groups: ['staff'] }, // a local user's name
  INES: { name: 'Ines Case', groups: ['staff'] }, // the same name in another case
  'Ｉｎｅｓ': { name: 'Ines Width', groups: ['staff'] }, // ... and in full width
  'іnеs': { name: 'Ines Script', groups: ['staff'] }, // ... and with Cyrillic letters
};

function signingKey(type, options, alg) {
  const { privateKey } = generateKeyPairSync(type, options);
  return { ...privateKey.export({ format: 'jwk' }), use: 'sig', alg, kid: `${alg}-${randomBytes(6).toString('hex')}` };
}

const port = Number(values.port);
const issuer = `http://127.0.0.1:${port}`;
const provider = new Provider(issuer, {
  clients: [
    {
      client_id: values['client-id'],
      client_secret: values['client-secret'],
      redirect_uris: values.redirect,
      post_logout_redirect_uris: values['post-logout'],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: values['id-token-alg'],
    },
  ],
  jwks: {
    keys: [
      signingKey('rsa', { modulusLength: 2048 }, 'RS256'),
      signingKey('ec', { namedCurve: 'P-256' }, 'ES256'),
    ],
  },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'preferred_username'],
    groups: ['groups'],
  },
  conformIdTokenClaims: false, // the ID token carries the claims of the granted scopes
  features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
  ttl: { IdToken: Number(values['id-token-ttl']) },
  async findAccount(ctx, id) {
    const account = ACCOUNTS[id];
    if (!account) return undefined;
    return {
      accountId: id,
      async claims() {
        return { sub: id, preferred_username: id, email_verified: true, ...account };
      },
    };
  },
});

provider.listen(port, '127.0.0.1', () => {
  console.log(`oidc-provider listening at ${issuer}`);
});
