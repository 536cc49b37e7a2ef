import protobuf from 'protobufjs/minimal.js';

// Decode 64-bit fields as plain numbers, not Long objects: result ids, sequence numbers and
// millisecond times all stay below 2^53, and validation rejects anything that does not.
// This module must be evaluated before gen/outpost.js, whose field defaults are computed
// when it loads (a Long zero would otherwise leak out of every field left at 0).
protobuf.util.Long = undefined as unknown as typeof protobuf.util.Long;
protobuf.configure();
