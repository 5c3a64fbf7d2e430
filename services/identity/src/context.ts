import type { EventStore } from '@cadre/eventstore';
import type { Logger } from '@cadre/logging';
import type { IdentityConfig } from './config';
import type { PasswordChecker } from './crypto/passwords';
import type { TokenSigner } from './crypto/jwt';
import type { CredentialStore } from './storage/credentials';
import type { TokenStore } from './storage/tokens';
import type { LoginThrottle } from './throttle/throttle';
import type { Reader } from './view/reader';
import type { IdentityView } from './view/view';

/** Everything the handlers use; built once by startIdentity. */
export interface IdentityContext {
  readonly config: IdentityConfig;
  readonly clock: () => Date;
  readonly newId: () => string;
  readonly store: EventStore;
  readonly view: IdentityView;
  readonly reader: Reader;
  readonly credentials: CredentialStore;
  readonly tokens: TokenStore;
  readonly throttle: LoginThrottle;
  readonly signer: TokenSigner;
  readonly passwords: PasswordChecker;
  readonly logger: Logger;
}
