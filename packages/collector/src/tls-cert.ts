// Moved to @outpost/protocol, where relays (agents) mint theirs the same way.
export { createSelfSignedCertificate } from '@outpost/protocol';
