/*eslint-disable block-scoped-var, id-length, no-control-regex, no-magic-numbers, no-mixed-operators, no-prototype-builtins, no-redeclare, no-shadow, no-var, sort-vars, default-case, jsdoc/require-param*/
import $protobuf from "protobufjs/minimal.js";

// Common aliases
const $Reader = $protobuf.Reader, $Writer = $protobuf.Writer, $util = $protobuf.util;
const $Object = $util.global.Object, $undefined = $util.global.undefined, $Error = $util.global.Error, $RangeError = $util.global.RangeError;

// Exported root namespace
const $root = $protobuf.roots["default"] || ($protobuf.roots["default"] = {});

export const outpost = $root.outpost = (() => {

    /**
     * Namespace outpost.
     * @exports outpost
     * @namespace
     */
    const outpost = {};

    outpost.v1 = (function() {

        /**
         * Namespace v1.
         * @memberof outpost
         * @namespace
         */
        const v1 = {};

        v1.Frame = (function() {

            /**
             * Properties of a Frame.
             * @typedef {Object} outpost.v1.Frame.$Properties
             * @property {outpost.v1.Challenge.$Properties|null} [challenge] Frame challenge
             * @property {outpost.v1.Hello.$Properties|null} [hello] Frame hello
             * @property {outpost.v1.Welcome.$Properties|null} [welcome] Frame welcome
             * @property {outpost.v1.Batch.$Properties|null} [batch] Frame batch
             * @property {outpost.v1.Ack.$Properties|null} [ack] Frame ack
             * @property {outpost.v1.Heartbeat.$Properties|null} [heartbeat] Frame heartbeat
             * @property {outpost.v1.ConfigPush.$Properties|null} [configPush] Frame configPush
             * @property {outpost.v1.Error.$Properties|null} [error] Frame error
             * @property {outpost.v1.RelayedBatch.$Properties|null} [relayedBatch] Frame relayedBatch
             * @property {outpost.v1.RelayedAck.$Properties|null} [relayedAck] Frame relayedAck
             * @property {outpost.v1.RelayedConfigPush.$Properties|null} [relayedConfigPush] Frame relayedConfigPush
             * @property {outpost.v1.RelayedHeartbeat.$Properties|null} [relayedHeartbeat] Frame relayedHeartbeat
             * @property {"challenge"|"hello"|"welcome"|"batch"|"ack"|"heartbeat"|"configPush"|"error"|"relayedBatch"|"relayedAck"|"relayedConfigPush"|"relayedHeartbeat"} [body] Frame body
             * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
             */

            /**
             * Properties of a Frame.
             * @memberof outpost.v1
             * @interface IFrame
             * @augments outpost.v1.Frame.$Properties
             * @deprecated Use outpost.v1.Frame.$Properties instead.
             */

            /**
             * Narrowed shape of a Frame.
             * @typedef {{
             *   challenge?: outpost.v1.Challenge.$Shape|null;
             *   hello?: outpost.v1.Hello.$Shape|null;
             *   welcome?: outpost.v1.Welcome.$Shape|null;
             *   batch?: outpost.v1.Batch.$Shape|null;
             *   ack?: outpost.v1.Ack.$Shape|null;
             *   heartbeat?: outpost.v1.Heartbeat.$Shape|null;
             *   configPush?: outpost.v1.ConfigPush.$Shape|null;
             *   error?: outpost.v1.Error.$Shape|null;
             *   relayedBatch?: outpost.v1.RelayedBatch.$Shape|null;
             *   relayedAck?: outpost.v1.RelayedAck.$Shape|null;
             *   relayedConfigPush?: outpost.v1.RelayedConfigPush.$Shape|null;
             *   relayedHeartbeat?: outpost.v1.RelayedHeartbeat.$Shape|null;
             *   $unknowns?: Array.<Uint8Array>;
             * } & (
             *   ({ body?: undefined; challenge?: null; hello?: null; welcome?: null; batch?: null; ack?: null; heartbeat?: null; configPush?: null; error?: null; relayedBatch?: null; relayedAck?: null; relayedConfigPush?: null; relayedHeartbeat?: null }|{ body?: "challenge"; challenge: outpost.v1.Challenge.$Shape; hello?: null; welcome?: null; batch?: null; ack?: null; heartbeat?: null; configPush?: null; error?: null; relayedBatch?: null; relayedAck?: null; relayedConfigPush?: null; relayedHeartbeat?: null }|{ body?: "hello"; challenge?: null; hello: outpost.v1.Hello.$Shape; welcome?: null; batch?: null; ack?: null; heartbeat?: null; configPush?: null; error?: null; relayedBatch?: null; relayedAck?: null; relayedConfigPush?: null; relayedHeartbeat?: null }|{ body?: "welcome"; challenge?: null; hello?: null; welcome: outpost.v1.Welcome.$Shape; batch?: null; ack?: null; heartbeat?: null; configPush?: null; error?: null; relayedBatch?: null; relayedAck?: null; relayedConfigPush?: null; relayedHeartbeat?: null }|{ body?: "batch"; challenge?: null; hello?: null; welcome?: null; batch: outpost.v1.Batch.$Shape; ack?: null; heartbeat?: null; configPush?: null; error?: null; relayedBatch?: null; relayedAck?: null; relayedConfigPush?: null; relayedHeartbeat?: null }|{ body?: "ack"; challenge?: null; hello?: null; welcome?: null; batch?: null; ack: outpost.v1.Ack.$Shape; heartbeat?: null; configPush?: null; error?: null; relayedBatch?: null; relayedAck?: null; relayedConfigPush?: null; relayedHeartbeat?: null }|{ body?: "heartbeat"; challenge?: null; hello?: null; welcome?: null; batch?: null; ack?: null; heartbeat: outpost.v1.Heartbeat.$Shape; configPush?: null; error?: null; relayedBatch?: null; relayedAck?: null; relayedConfigPush?: null; relayedHeartbeat?: null }|{ body?: "configPush"; challenge?: null; hello?: null; welcome?: null; batch?: null; ack?: null; heartbeat?: null; configPush: outpost.v1.ConfigPush.$Shape; error?: null; relayedBatch?: null; relayedAck?: null; relayedConfigPush?: null; relayedHeartbeat?: null }|{ body?: "error"; challenge?: null; hello?: null; welcome?: null; batch?: null; ack?: null; heartbeat?: null; configPush?: null; error: outpost.v1.Error.$Shape; relayedBatch?: null; relayedAck?: null; relayedConfigPush?: null; relayedHeartbeat?: null }|{ body?: "relayedBatch"; challenge?: null; hello?: null; welcome?: null; batch?: null; ack?: null; heartbeat?: null; configPush?: null; error?: null; relayedBatch: outpost.v1.RelayedBatch.$Shape; relayedAck?: null; relayedConfigPush?: null; relayedHeartbeat?: null }|{ body?: "relayedAck"; challenge?: null; hello?: null; welcome?: null; batch?: null; ack?: null; heartbeat?: null; configPush?: null; error?: null; relayedBatch?: null; relayedAck: outpost.v1.RelayedAck.$Shape; relayedConfigPush?: null; relayedHeartbeat?: null }|{ body?: "relayedConfigPush"; challenge?: null; hello?: null; welcome?: null; batch?: null; ack?: null; heartbeat?: null; configPush?: null; error?: null; relayedBatch?: null; relayedAck?: null; relayedConfigPush: outpost.v1.RelayedConfigPush.$Shape; relayedHeartbeat?: null }|{ body?: "relayedHeartbeat"; challenge?: null; hello?: null; welcome?: null; batch?: null; ack?: null; heartbeat?: null; configPush?: null; error?: null; relayedBatch?: null; relayedAck?: null; relayedConfigPush?: null; relayedHeartbeat: outpost.v1.RelayedHeartbeat.$Shape })
             * )} outpost.v1.Frame.$Shape
             */

            /**
             * Constructs a new Frame.
             * @memberof outpost.v1
             * @classdesc Represents a Frame.
             * @constructor
             * @param {outpost.v1.Frame.$Properties=} [properties] Properties to set
             * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
             */
            const Frame = function (properties) {
                if (properties)
                    for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                        if (properties[keys[i]] != null && keys[i] !== "__proto__")
                            this[keys[i]] = properties[keys[i]];
            };

            /**
             * Frame challenge.
             * @member {outpost.v1.Challenge.$Properties|null|undefined} challenge
             * @memberof outpost.v1.Frame
             * @instance
             */
            Frame.prototype.challenge = null;

            /**
             * Frame hello.
             * @member {outpost.v1.Hello.$Properties|null|undefined} hello
             * @memberof outpost.v1.Frame
             * @instance
             */
            Frame.prototype.hello = null;

            /**
             * Frame welcome.
             * @member {outpost.v1.Welcome.$Properties|null|undefined} welcome
             * @memberof outpost.v1.Frame
             * @instance
             */
            Frame.prototype.welcome = null;

            /**
             * Frame batch.
             * @member {outpost.v1.Batch.$Properties|null|undefined} batch
             * @memberof outpost.v1.Frame
             * @instance
             */
            Frame.prototype.batch = null;

            /**
             * Frame ack.
             * @member {outpost.v1.Ack.$Properties|null|undefined} ack
             * @memberof outpost.v1.Frame
             * @instance
             */
            Frame.prototype.ack = null;

            /**
             * Frame heartbeat.
             * @member {outpost.v1.Heartbeat.$Properties|null|undefined} heartbeat
             * @memberof outpost.v1.Frame
             * @instance
             */
            Frame.prototype.heartbeat = null;

            /**
             * Frame configPush.
             * @member {outpost.v1.ConfigPush.$Properties|null|undefined} configPush
             * @memberof outpost.v1.Frame
             * @instance
             */
            Frame.prototype.configPush = null;

            /**
             * Frame error.
             * @member {outpost.v1.Error.$Properties|null|undefined} error
             * @memberof outpost.v1.Frame
             * @instance
             */
            Frame.prototype.error = null;

            /**
             * Frame relayedBatch.
             * @member {outpost.v1.RelayedBatch.$Properties|null|undefined} relayedBatch
             * @memberof outpost.v1.Frame
             * @instance
             */
            Frame.prototype.relayedBatch = null;

            /**
             * Frame relayedAck.
             * @member {outpost.v1.RelayedAck.$Properties|null|undefined} relayedAck
             * @memberof outpost.v1.Frame
             * @instance
             */
            Frame.prototype.relayedAck = null;

            /**
             * Frame relayedConfigPush.
             * @member {outpost.v1.RelayedConfigPush.$Properties|null|undefined} relayedConfigPush
             * @memberof outpost.v1.Frame
             * @instance
             */
            Frame.prototype.relayedConfigPush = null;

            /**
             * Frame relayedHeartbeat.
             * @member {outpost.v1.RelayedHeartbeat.$Properties|null|undefined} relayedHeartbeat
             * @memberof outpost.v1.Frame
             * @instance
             */
            Frame.prototype.relayedHeartbeat = null;

            // OneOf field names bound to virtual getters and setters
            let $oneOfFields;

            /**
             * Frame body.
             * @member {"challenge"|"hello"|"welcome"|"batch"|"ack"|"heartbeat"|"configPush"|"error"|"relayedBatch"|"relayedAck"|"relayedConfigPush"|"relayedHeartbeat"|undefined} body
             * @memberof outpost.v1.Frame
             * @instance
             */
            $Object.defineProperty(Frame.prototype, "body", {
                get: $util.oneOfGetter($oneOfFields = ["challenge", "hello", "welcome", "batch", "ack", "heartbeat", "configPush", "error", "relayedBatch", "relayedAck", "relayedConfigPush", "relayedHeartbeat"]),
                set: $util.oneOfSetter($oneOfFields)
            });

            /**
             * Encodes the specified Frame message. Does not implicitly {@link outpost.v1.Frame.verify|verify} messages.
             * @function encode
             * @memberof outpost.v1.Frame
             * @static
             * @param {outpost.v1.Frame.$Properties} message Frame message or plain object to encode
             * @param {$protobuf.Writer} [writer] Writer to encode to
             * @returns {$protobuf.Writer} Writer
             */
            Frame.encode = function (message, writer, _depth) {
                if (!writer)
                    writer = $Writer.create();
                if (_depth === $undefined)
                    _depth = 0;
                if (_depth > $util.recursionLimit)
                    throw $Error("max depth exceeded");
                if (message.challenge != null && $Object.hasOwnProperty.call(message, "challenge"))
                    $root.outpost.v1.Challenge.encode(message.challenge, writer.uint32(/* id 1, wireType 2 =*/10).fork(), _depth + 1).ldelim();
                if (message.hello != null && $Object.hasOwnProperty.call(message, "hello"))
                    $root.outpost.v1.Hello.encode(message.hello, writer.uint32(/* id 2, wireType 2 =*/18).fork(), _depth + 1).ldelim();
                if (message.welcome != null && $Object.hasOwnProperty.call(message, "welcome"))
                    $root.outpost.v1.Welcome.encode(message.welcome, writer.uint32(/* id 3, wireType 2 =*/26).fork(), _depth + 1).ldelim();
                if (message.batch != null && $Object.hasOwnProperty.call(message, "batch"))
                    $root.outpost.v1.Batch.encode(message.batch, writer.uint32(/* id 4, wireType 2 =*/34).fork(), _depth + 1).ldelim();
                if (message.ack != null && $Object.hasOwnProperty.call(message, "ack"))
                    $root.outpost.v1.Ack.encode(message.ack, writer.uint32(/* id 5, wireType 2 =*/42).fork(), _depth + 1).ldelim();
                if (message.heartbeat != null && $Object.hasOwnProperty.call(message, "heartbeat"))
                    $root.outpost.v1.Heartbeat.encode(message.heartbeat, writer.uint32(/* id 6, wireType 2 =*/50).fork(), _depth + 1).ldelim();
                if (message.configPush != null && $Object.hasOwnProperty.call(message, "configPush"))
                    $root.outpost.v1.ConfigPush.encode(message.configPush, writer.uint32(/* id 7, wireType 2 =*/58).fork(), _depth + 1).ldelim();
                if (message.error != null && $Object.hasOwnProperty.call(message, "error"))
                    $root.outpost.v1.Error.encode(message.error, writer.uint32(/* id 8, wireType 2 =*/66).fork(), _depth + 1).ldelim();
                if (message.relayedBatch != null && $Object.hasOwnProperty.call(message, "relayedBatch"))
                    $root.outpost.v1.RelayedBatch.encode(message.relayedBatch, writer.uint32(/* id 9, wireType 2 =*/74).fork(), _depth + 1).ldelim();
                if (message.relayedAck != null && $Object.hasOwnProperty.call(message, "relayedAck"))
                    $root.outpost.v1.RelayedAck.encode(message.relayedAck, writer.uint32(/* id 10, wireType 2 =*/82).fork(), _depth + 1).ldelim();
                if (message.relayedConfigPush != null && $Object.hasOwnProperty.call(message, "relayedConfigPush"))
                    $root.outpost.v1.RelayedConfigPush.encode(message.relayedConfigPush, writer.uint32(/* id 11, wireType 2 =*/90).fork(), _depth + 1).ldelim();
                if (message.relayedHeartbeat != null && $Object.hasOwnProperty.call(message, "relayedHeartbeat"))
                    $root.outpost.v1.RelayedHeartbeat.encode(message.relayedHeartbeat, writer.uint32(/* id 12, wireType 2 =*/98).fork(), _depth + 1).ldelim();
                if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                    for (let i = 0; i < message.$unknowns.length; ++i)
                        writer.raw(message.$unknowns[i]);
                return writer;
            };

            /**
             * Decodes a Frame message from the specified reader or buffer.
             * @function decode
             * @memberof outpost.v1.Frame
             * @static
             * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
             * @param {number} [length] Message length if known beforehand
             * @returns {outpost.v1.Frame & outpost.v1.Frame.$Shape} Frame
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            Frame.decode = function (reader, length, _end, _depth, _target) {
                if (!(reader instanceof $Reader))
                    reader = $Reader.create(reader);
                if (_depth === $undefined)
                    _depth = 0;
                if (_depth > $Reader.recursionLimit)
                    throw $Error("max depth exceeded");
                let end, message;
                if (length === $undefined)
                    end = reader.len;
                else {
                    end = reader.pos + length;
                    if (end > reader.len)
                        throw $RangeError("index out of range");
                    length = reader.len;
                    reader.len = end;
                }
                message = _target || new $root.outpost.v1.Frame();
                while (reader.pos < end) {
                    let start = reader.pos;
                    let tag = reader.tag();
                    if (tag === _end) {
                        _end = $undefined;
                        break;
                    }
                    let wireType = tag & 7;
                    switch (tag >>>= 3) {
                    case 1: {
                            if (wireType !== 2)
                                break;
                            message.challenge = $root.outpost.v1.Challenge.decode(reader, reader.size(), $undefined, _depth + 1, message.challenge);
                            message.body = "challenge";
                            continue;
                        }
                    case 2: {
                            if (wireType !== 2)
                                break;
                            message.hello = $root.outpost.v1.Hello.decode(reader, reader.size(), $undefined, _depth + 1, message.hello);
                            message.body = "hello";
                            continue;
                        }
                    case 3: {
                            if (wireType !== 2)
                                break;
                            message.welcome = $root.outpost.v1.Welcome.decode(reader, reader.size(), $undefined, _depth + 1, message.welcome);
                            message.body = "welcome";
                            continue;
                        }
                    case 4: {
                            if (wireType !== 2)
                                break;
                            message.batch = $root.outpost.v1.Batch.decode(reader, reader.size(), $undefined, _depth + 1, message.batch);
                            message.body = "batch";
                            continue;
                        }
                    case 5: {
                            if (wireType !== 2)
                                break;
                            message.ack = $root.outpost.v1.Ack.decode(reader, reader.size(), $undefined, _depth + 1, message.ack);
                            message.body = "ack";
                            continue;
                        }
                    case 6: {
                            if (wireType !== 2)
                                break;
                            message.heartbeat = $root.outpost.v1.Heartbeat.decode(reader, reader.size(), $undefined, _depth + 1, message.heartbeat);
                            message.body = "heartbeat";
                            continue;
                        }
                    case 7: {
                            if (wireType !== 2)
                                break;
                            message.configPush = $root.outpost.v1.ConfigPush.decode(reader, reader.size(), $undefined, _depth + 1, message.configPush);
                            message.body = "configPush";
                            continue;
                        }
                    case 8: {
                            if (wireType !== 2)
                                break;
                            message.error = $root.outpost.v1.Error.decode(reader, reader.size(), $undefined, _depth + 1, message.error);
                            message.body = "error";
                            continue;
                        }
                    case 9: {
                            if (wireType !== 2)
                                break;
                            message.relayedBatch = $root.outpost.v1.RelayedBatch.decode(reader, reader.size(), $undefined, _depth + 1, message.relayedBatch);
                            message.body = "relayedBatch";
                            continue;
                        }
                    case 10: {
                            if (wireType !== 2)
                                break;
                            message.relayedAck = $root.outpost.v1.RelayedAck.decode(reader, reader.size(), $undefined, _depth + 1, message.relayedAck);
                            message.body = "relayedAck";
                            continue;
                        }
                    case 11: {
                            if (wireType !== 2)
                                break;
                            message.relayedConfigPush = $root.outpost.v1.RelayedConfigPush.decode(reader, reader.size(), $undefined, _depth + 1, message.relayedConfigPush);
                            message.body = "relayedConfigPush";
                            continue;
                        }
                    case 12: {
                            if (wireType !== 2)
                                break;
                            message.relayedHeartbeat = $root.outpost.v1.RelayedHeartbeat.decode(reader, reader.size(), $undefined, _depth + 1, message.relayedHeartbeat);
                            message.body = "relayedHeartbeat";
                            continue;
                        }
                    }
                    reader.skipType(wireType, _depth, tag);
                    if (!reader.discardUnknown) {
                        $util.makeProp(message, "$unknowns", false);
                        (message.$unknowns || (message.$unknowns = [])).push(reader.raw(start, reader.pos));
                    }
                }
                if (length !== $undefined) {
                    if (reader.pos !== end)
                        throw $RangeError("index out of range");
                    reader.len = length;
                }
                if (_end !== $undefined)
                    throw $Error("missing end group");
                return message;
            };

            /**
             * Gets the type url for Frame
             * @function getTypeUrl
             * @memberof outpost.v1.Frame
             * @static
             * @param {string} [prefix] Custom type url prefix, defaults to `"type.googleapis.com"`
             * @returns {string} The type url
             */
            Frame.getTypeUrl = function(prefix) {
                if (prefix === $undefined)
                    prefix = "type.googleapis.com";
                return prefix + "/outpost.v1.Frame";
            };

            return Frame;
        })();

        v1.Challenge = (function() {

            /**
             * Properties of a Challenge.
             * @typedef {Object} outpost.v1.Challenge.$Properties
             * @property {number|null} [version] Challenge version
             * @property {Uint8Array|null} [collectorKey] Challenge collectorKey
             * @property {Uint8Array|null} [nonce] Challenge nonce
             * @property {number|null} [timeMs] Challenge timeMs
             * @property {outpost.v1.KeyEndorsement.$Properties|null} [endorsement] Challenge endorsement
             * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
             */

            /**
             * Properties of a Challenge.
             * @memberof outpost.v1
             * @interface IChallenge
             * @augments outpost.v1.Challenge.$Properties
             * @deprecated Use outpost.v1.Challenge.$Properties instead.
             */

            /**
             * Shape of a Challenge.
             * @typedef {outpost.v1.Challenge.$Properties} outpost.v1.Challenge.$Shape
             */

            /**
             * Constructs a new Challenge.
             * @memberof outpost.v1
             * @classdesc Represents a Challenge.
             * @constructor
             * @param {outpost.v1.Challenge.$Properties=} [properties] Properties to set
             * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
             */
            const Challenge = function (properties) {
                if (properties)
                    for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                        if (properties[keys[i]] != null && keys[i] !== "__proto__")
                            this[keys[i]] = properties[keys[i]];
            };

            /**
             * Challenge version.
             * @member {number} version
             * @memberof outpost.v1.Challenge
             * @instance
             */
            Challenge.prototype.version = 0;

            /**
             * Challenge collectorKey.
             * @member {Uint8Array} collectorKey
             * @memberof outpost.v1.Challenge
             * @instance
             */
            Challenge.prototype.collectorKey = $util.newBuffer([]);

            /**
             * Challenge nonce.
             * @member {Uint8Array} nonce
             * @memberof outpost.v1.Challenge
             * @instance
             */
            Challenge.prototype.nonce = $util.newBuffer([]);

            /**
             * Challenge timeMs.
             * @member {number} timeMs
             * @memberof outpost.v1.Challenge
             * @instance
             */
            Challenge.prototype.timeMs = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

            /**
             * Challenge endorsement.
             * @member {outpost.v1.KeyEndorsement.$Properties|null|undefined} endorsement
             * @memberof outpost.v1.Challenge
             * @instance
             */
            Challenge.prototype.endorsement = null;

            /**
             * Encodes the specified Challenge message. Does not implicitly {@link outpost.v1.Challenge.verify|verify} messages.
             * @function encode
             * @memberof outpost.v1.Challenge
             * @static
             * @param {outpost.v1.Challenge.$Properties} message Challenge message or plain object to encode
             * @param {$protobuf.Writer} [writer] Writer to encode to
             * @returns {$protobuf.Writer} Writer
             */
            Challenge.encode = function (message, writer, _depth) {
                if (!writer)
                    writer = $Writer.create();
                if (_depth === $undefined)
                    _depth = 0;
                if (_depth > $util.recursionLimit)
                    throw $Error("max depth exceeded");
                if (message.version != null && $Object.hasOwnProperty.call(message, "version") && message.version !== 0)
                    writer.uint32(/* id 1, wireType 0 =*/8).uint32(message.version);
                if (message.collectorKey != null && $Object.hasOwnProperty.call(message, "collectorKey") && message.collectorKey.length)
                    writer.uint32(/* id 2, wireType 2 =*/18).bytes(message.collectorKey);
                if (message.nonce != null && $Object.hasOwnProperty.call(message, "nonce") && message.nonce.length)
                    writer.uint32(/* id 3, wireType 2 =*/26).bytes(message.nonce);
                if (message.timeMs != null && $Object.hasOwnProperty.call(message, "timeMs") && (typeof message.timeMs === "object" ? message.timeMs.low || message.timeMs.high : message.timeMs !== 0))
                    writer.uint32(/* id 4, wireType 0 =*/32).uint64(message.timeMs);
                if (message.endorsement != null && $Object.hasOwnProperty.call(message, "endorsement"))
                    $root.outpost.v1.KeyEndorsement.encode(message.endorsement, writer.uint32(/* id 5, wireType 2 =*/42).fork(), _depth + 1).ldelim();
                if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                    for (let i = 0; i < message.$unknowns.length; ++i)
                        writer.raw(message.$unknowns[i]);
                return writer;
            };

            /**
             * Decodes a Challenge message from the specified reader or buffer.
             * @function decode
             * @memberof outpost.v1.Challenge
             * @static
             * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
             * @param {number} [length] Message length if known beforehand
             * @returns {outpost.v1.Challenge & outpost.v1.Challenge.$Shape} Challenge
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            Challenge.decode = function (reader, length, _end, _depth, _target) {
                if (!(reader instanceof $Reader))
                    reader = $Reader.create(reader);
                if (_depth === $undefined)
                    _depth = 0;
                if (_depth > $Reader.recursionLimit)
                    throw $Error("max depth exceeded");
                let end, message, value;
                if (length === $undefined)
                    end = reader.len;
                else {
                    end = reader.pos + length;
                    if (end > reader.len)
                        throw $RangeError("index out of range");
                    length = reader.len;
                    reader.len = end;
                }
                message = _target || new $root.outpost.v1.Challenge();
                while (reader.pos < end) {
                    let start = reader.pos;
                    let tag = reader.tag();
                    if (tag === _end) {
                        _end = $undefined;
                        break;
                    }
                    let wireType = tag & 7;
                    switch (tag >>>= 3) {
                    case 1: {
                            if (wireType !== 0)
                                break;
                            if (value = reader.uint32())
                                message.version = value;
                            else
                                delete message.version;
                            continue;
                        }
                    case 2: {
                            if (wireType !== 2)
                                break;
                            if ((value = reader.bytes()).length)
                                message.collectorKey = value;
                            else
                                delete message.collectorKey;
                            continue;
                        }
                    case 3: {
                            if (wireType !== 2)
                                break;
                            if ((value = reader.bytes()).length)
                                message.nonce = value;
                            else
                                delete message.nonce;
                            continue;
                        }
                    case 4: {
                            if (wireType !== 0)
                                break;
                            if (typeof (value = reader.uint64()) === "object" ? value.low || value.high : value !== 0)
                                message.timeMs = value;
                            else
                                delete message.timeMs;
                            continue;
                        }
                    case 5: {
                            if (wireType !== 2)
                                break;
                            message.endorsement = $root.outpost.v1.KeyEndorsement.decode(reader, reader.size(), $undefined, _depth + 1, message.endorsement);
                            continue;
                        }
                    }
                    reader.skipType(wireType, _depth, tag);
                    if (!reader.discardUnknown) {
                        $util.makeProp(message, "$unknowns", false);
                        (message.$unknowns || (message.$unknowns = [])).push(reader.raw(start, reader.pos));
                    }
                }
                if (length !== $undefined) {
                    if (reader.pos !== end)
                        throw $RangeError("index out of range");
                    reader.len = length;
                }
                if (_end !== $undefined)
                    throw $Error("missing end group");
                return message;
            };

            /**
             * Gets the type url for Challenge
             * @function getTypeUrl
             * @memberof outpost.v1.Challenge
             * @static
             * @param {string} [prefix] Custom type url prefix, defaults to `"type.googleapis.com"`
             * @returns {string} The type url
             */
            Challenge.getTypeUrl = function(prefix) {
                if (prefix === $undefined)
                    prefix = "type.googleapis.com";
                return prefix + "/outpost.v1.Challenge";
            };

            return Challenge;
        })();

        v1.KeyEndorsement = (function() {

            /**
             * Properties of a KeyEndorsement.
             * @typedef {Object} outpost.v1.KeyEndorsement.$Properties
             * @property {Uint8Array|null} [oldKey] KeyEndorsement oldKey
             * @property {Uint8Array|null} [signature] KeyEndorsement signature
             * @property {number|null} [notAfterMs] KeyEndorsement notAfterMs
             * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
             */

            /**
             * Properties of a KeyEndorsement.
             * @memberof outpost.v1
             * @interface IKeyEndorsement
             * @augments outpost.v1.KeyEndorsement.$Properties
             * @deprecated Use outpost.v1.KeyEndorsement.$Properties instead.
             */

            /**
             * Shape of a KeyEndorsement.
             * @typedef {outpost.v1.KeyEndorsement.$Properties} outpost.v1.KeyEndorsement.$Shape
             */

            /**
             * Constructs a new KeyEndorsement.
             * @memberof outpost.v1
             * @classdesc Represents a KeyEndorsement.
             * @constructor
             * @param {outpost.v1.KeyEndorsement.$Properties=} [properties] Properties to set
             * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
             */
            const KeyEndorsement = function (properties) {
                if (properties)
                    for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                        if (properties[keys[i]] != null && keys[i] !== "__proto__")
                            this[keys[i]] = properties[keys[i]];
            };

            /**
             * KeyEndorsement oldKey.
             * @member {Uint8Array} oldKey
             * @memberof outpost.v1.KeyEndorsement
             * @instance
             */
            KeyEndorsement.prototype.oldKey = $util.newBuffer([]);

            /**
             * KeyEndorsement signature.
             * @member {Uint8Array} signature
             * @memberof outpost.v1.KeyEndorsement
             * @instance
             */
            KeyEndorsement.prototype.signature = $util.newBuffer([]);

            /**
             * KeyEndorsement notAfterMs.
             * @member {number} notAfterMs
             * @memberof outpost.v1.KeyEndorsement
             * @instance
             */
            KeyEndorsement.prototype.notAfterMs = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

            /**
             * Encodes the specified KeyEndorsement message. Does not implicitly {@link outpost.v1.KeyEndorsement.verify|verify} messages.
             * @function encode
             * @memberof outpost.v1.KeyEndorsement
             * @static
             * @param {outpost.v1.KeyEndorsement.$Properties} message KeyEndorsement message or plain object to encode
             * @param {$protobuf.Writer} [writer] Writer to encode to
             * @returns {$protobuf.Writer} Writer
             */
            KeyEndorsement.encode = function (message, writer, _depth) {
                if (!writer)
                    writer = $Writer.create();
                if (_depth === $undefined)
                    _depth = 0;
                if (_depth > $util.recursionLimit)
                    throw $Error("max depth exceeded");
                if (message.oldKey != null && $Object.hasOwnProperty.call(message, "oldKey") && message.oldKey.length)
                    writer.uint32(/* id 1, wireType 2 =*/10).bytes(message.oldKey);
                if (message.signature != null && $Object.hasOwnProperty.call(message, "signature") && message.signature.length)
                    writer.uint32(/* id 2, wireType 2 =*/18).bytes(message.signature);
                if (message.notAfterMs != null && $Object.hasOwnProperty.call(message, "notAfterMs") && (typeof message.notAfterMs === "object" ? message.notAfterMs.low || message.notAfterMs.high : message.notAfterMs !== 0))
                    writer.uint32(/* id 3, wireType 0 =*/24).uint64(message.notAfterMs);
                if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                    for (let i = 0; i < message.$unknowns.length; ++i)
                        writer.raw(message.$unknowns[i]);
                return writer;
            };

            /**
             * Decodes a KeyEndorsement message from the specified reader or buffer.
             * @function decode
             * @memberof outpost.v1.KeyEndorsement
             * @static
             * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
             * @param {number} [length] Message length if known beforehand
             * @returns {outpost.v1.KeyEndorsement & outpost.v1.KeyEndorsement.$Shape} KeyEndorsement
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            KeyEndorsement.decode = function (reader, length, _end, _depth, _target) {
                if (!(reader instanceof $Reader))
                    reader = $Reader.create(reader);
                if (_depth === $undefined)
                    _depth = 0;
                if (_depth > $Reader.recursionLimit)
                    throw $Error("max depth exceeded");
                let end, message, value;
                if (length === $undefined)
                    end = reader.len;
                else {
                    end = reader.pos + length;
                    if (end > reader.len)
                        throw $RangeError("index out of range");
                    length = reader.len;
                    reader.len = end;
                }
                message = _target || new $root.outpost.v1.KeyEndorsement();
                while (reader.pos < end) {
                    let start = reader.pos;
                    let tag = reader.tag();
                    if (tag === _end) {
                        _end = $undefined;
                        break;
                    }
                    let wireType = tag & 7;
                    switch (tag >>>= 3) {
                    case 1: {
                            if (wireType !== 2)
                                break;
                            if ((value = reader.bytes()).length)
                                message.oldKey = value;
                            else
                                delete message.oldKey;
                            continue;
                        }
                    case 2: {
                            if (wireType !== 2)
                                break;
                            if ((value = reader.bytes()).length)
                                message.signature = value;
                            else
                                delete message.signature;
                            continue;
                        }
                    case 3: {
                            if (wireType !== 0)
                                break;
                            if (typeof (value = reader.uint64()) === "object" ? value.low || value.high : value !== 0)
                                message.notAfterMs = value;
                            else
                                delete message.notAfterMs;
                            continue;
                        }
                    }
                    reader.skipType(wireType, _depth, tag);
                    if (!reader.discardUnknown) {
                        $util.makeProp(message, "$unknowns", false);
                        (message.$unknowns || (message.$unknowns = [])).push(reader.raw(start, reader.pos));
                    }
                }
                if (length !== $undefined) {
                    if (reader.pos !== end)
                        throw $RangeError("index out of range");
                    reader.len = length;
                }
                if (_end !== $undefined)
                    throw $Error("missing end group");
                return message;
            };

            /**
             * Gets the type url for KeyEndorsement
             * @function getTypeUrl
             * @memberof outpost.v1.KeyEndorsement
             * @static
             * @param {string} [prefix] Custom type url prefix, defaults to `"type.googleapis.com"`
             * @returns {string} The type url
             */
            KeyEndorsement.getTypeUrl = function(prefix) {
                if (prefix === $undefined)
                    prefix = "type.googleapis.com";
                return prefix + "/outpost.v1.KeyEndorsement";
            };

            return KeyEndorsement;
        })();

        v1.Hello = (function() {

            /**
             * Properties of a Hello.
             * @typedef {Object} outpost.v1.Hello.$Properties
             * @property {number|null} [version] Hello version
             * @property {string|null} [agentName] Hello agentName
             * @property {Uint8Array|null} [agentKey] Hello agentKey
             * @property {Uint8Array|null} [nonce] Hello nonce
             * @property {number|null} [timeMs] Hello timeMs
             * @property {string|null} [software] Hello software
             * @property {string|null} [configHash] Hello configHash
             * @property {string|null} [enrollToken] Hello enrollToken
             * @property {Uint8Array|null} [signature] Hello signature
             * @property {Uint8Array|null} [rotateToKey] Hello rotateToKey
             * @property {Uint8Array|null} [rotateSignatureOld] Hello rotateSignatureOld
             * @property {Uint8Array|null} [rotateSignatureNew] Hello rotateSignatureNew
             * @property {number|null} [heartbeatIntervalMs] Hello heartbeatIntervalMs
             * @property {number|null} [configVersion] Hello configVersion
             * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
             */

            /**
             * Properties of a Hello.
             * @memberof outpost.v1
             * @interface IHello
             * @augments outpost.v1.Hello.$Properties
             * @deprecated Use outpost.v1.Hello.$Properties instead.
             */

            /**
             * Shape of a Hello.
             * @typedef {outpost.v1.Hello.$Properties} outpost.v1.Hello.$Shape
             */

            /**
             * Constructs a new Hello.
             * @memberof outpost.v1
             * @classdesc Represents a Hello.
             * @constructor
             * @param {outpost.v1.Hello.$Properties=} [properties] Properties to set
             * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
             */
            const Hello = function (properties) {
                if (properties)
                    for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                        if (properties[keys[i]] != null && keys[i] !== "__proto__")
                            this[keys[i]] = properties[keys[i]];
            };

            /**
             * Hello version.
             * @member {number} version
             * @memberof outpost.v1.Hello
             * @instance
             */
            Hello.prototype.version = 0;

            /**
             * Hello agentName.
             * @member {string} agentName
             * @memberof outpost.v1.Hello
             * @instance
             */
            Hello.prototype.agentName = "";

            /**
             * Hello agentKey.
             * @member {Uint8Array} agentKey
             * @memberof outpost.v1.Hello
             * @instance
             */
            Hello.prototype.agentKey = $util.newBuffer([]);

            /**
             * Hello nonce.
             * @member {Uint8Array} nonce
             * @memberof outpost.v1.Hello
             * @instance
             */
            Hello.prototype.nonce = $util.newBuffer([]);

            /**
             * Hello timeMs.
             * @member {number} timeMs
             * @memberof outpost.v1.Hello
             * @instance
             */
            Hello.prototype.timeMs = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

            /**
             * Hello software.
             * @member {string} software
             * @memberof outpost.v1.Hello
             * @instance
             */
            Hello.prototype.software = "";

            /**
             * Hello configHash.
             * @member {string} configHash
             * @memberof outpost.v1.Hello
             * @instance
             */
            Hello.prototype.configHash = "";

            /**
             * Hello enrollToken.
             * @member {string} enrollToken
             * @memberof outpost.v1.Hello
             * @instance
             */
            Hello.prototype.enrollToken = "";

            /**
             * Hello signature.
             * @member {Uint8Array} signature
             * @memberof outpost.v1.Hello
             * @instance
             */
            Hello.prototype.signature = $util.newBuffer([]);

            /**
             * Hello rotateToKey.
             * @member {Uint8Array} rotateToKey
             * @memberof outpost.v1.Hello
             * @instance
             */
            Hello.prototype.rotateToKey = $util.newBuffer([]);

            /**
             * Hello rotateSignatureOld.
             * @member {Uint8Array} rotateSignatureOld
             * @memberof outpost.v1.Hello
             * @instance
             */
            Hello.prototype.rotateSignatureOld = $util.newBuffer([]);

            /**
             * Hello rotateSignatureNew.
             * @member {Uint8Array} rotateSignatureNew
             * @memberof outpost.v1.Hello
             * @instance
             */
            Hello.prototype.rotateSignatureNew = $util.newBuffer([]);

            /**
             * Hello heartbeatIntervalMs.
             * @member {number} heartbeatIntervalMs
             * @memberof outpost.v1.Hello
             * @instance
             */
            Hello.prototype.heartbeatIntervalMs = 0;

            /**
             * Hello configVersion.
             * @member {number} configVersion
             * @memberof outpost.v1.Hello
             * @instance
             */
            Hello.prototype.configVersion = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

            /**
             * Encodes the specified Hello message. Does not implicitly {@link outpost.v1.Hello.verify|verify} messages.
             * @function encode
             * @memberof outpost.v1.Hello
             * @static
             * @param {outpost.v1.Hello.$Properties} message Hello message or plain object to encode
             * @param {$protobuf.Writer} [writer] Writer to encode to
             * @returns {$protobuf.Writer} Writer
             */
            Hello.encode = function (message, writer, _depth) {
                if (!writer)
                    writer = $Writer.create();
                if (_depth === $undefined)
                    _depth = 0;
                if (_depth > $util.recursionLimit)
                    throw $Error("max depth exceeded");
                if (message.version != null && $Object.hasOwnProperty.call(message, "version") && message.version !== 0)
                    writer.uint32(/* id 1, wireType 0 =*/8).uint32(message.version);
                if (message.agentName != null && $Object.hasOwnProperty.call(message, "agentName") && message.agentName !== "")
                    writer.uint32(/* id 2, wireType 2 =*/18).string(message.agentName);
                if (message.agentKey != null && $Object.hasOwnProperty.call(message, "agentKey") && message.agentKey.length)
                    writer.uint32(/* id 3, wireType 2 =*/26).bytes(message.agentKey);
                if (message.nonce != null && $Object.hasOwnProperty.call(message, "nonce") && message.nonce.length)
                    writer.uint32(/* id 4, wireType 2 =*/34).bytes(message.nonce);
                if (message.timeMs != null && $Object.hasOwnProperty.call(message, "timeMs") && (typeof message.timeMs === "object" ? message.timeMs.low || message.timeMs.high : message.timeMs !== 0))
                    writer.uint32(/* id 5, wireType 0 =*/40).uint64(message.timeMs);
                if (message.software != null && $Object.hasOwnProperty.call(message, "software") && message.software !== "")
                    writer.uint32(/* id 6, wireType 2 =*/50).string(message.software);
                if (message.configHash != null && $Object.hasOwnProperty.call(message, "configHash") && message.configHash !== "")
                    writer.uint32(/* id 7, wireType 2 =*/58).string(message.configHash);
                if (message.enrollToken != null && $Object.hasOwnProperty.call(message, "enrollToken") && message.enrollToken !== "")
                    writer.uint32(/* id 8, wireType 2 =*/66).string(message.enrollToken);
                if (message.signature != null && $Object.hasOwnProperty.call(message, "signature") && message.signature.length)
                    writer.uint32(/* id 9, wireType 2 =*/74).bytes(message.signature);
                if (message.rotateToKey != null && $Object.hasOwnProperty.call(message, "rotateToKey") && message.rotateToKey.length)
                    writer.uint32(/* id 10, wireType 2 =*/82).bytes(message.rotateToKey);
                if (message.rotateSignatureOld != null && $Object.hasOwnProperty.call(message, "rotateSignatureOld") && message.rotateSignatureOld.length)
                    writer.uint32(/* id 11, wireType 2 =*/90).bytes(message.rotateSignatureOld);
                if (message.rotateSignatureNew != null && $Object.hasOwnProperty.call(message, "rotateSignatureNew") && message.rotateSignatureNew.length)
                    writer.uint32(/* id 12, wireType 2 =*/98).bytes(message.rotateSignatureNew);
                if (message.heartbeatIntervalMs != null && $Object.hasOwnProperty.call(message, "heartbeatIntervalMs") && message.heartbeatIntervalMs !== 0)
                    writer.uint32(/* id 13, wireType 0 =*/104).uint32(message.heartbeatIntervalMs);
                if (message.configVersion != null && $Object.hasOwnProperty.call(message, "configVersion") && (typeof message.configVersion === "object" ? message.configVersion.low || message.configVersion.high : message.configVersion !== 0))
                    writer.uint32(/* id 14, wireType 0 =*/112).uint64(message.configVersion);
                if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                    for (let i = 0; i < message.$unknowns.length; ++i)
                        writer.raw(message.$unknowns[i]);
                return writer;
            };

            /**
             * Decodes a Hello message from the specified reader or buffer.
             * @function decode
             * @memberof outpost.v1.Hello
             * @static
             * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
             * @param {number} [length] Message length if known beforehand
             * @returns {outpost.v1.Hello & outpost.v1.Hello.$Shape} Hello
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            Hello.decode = function (reader, length, _end, _depth, _target) {
                if (!(reader instanceof $Reader))
                    reader = $Reader.create(reader);
                if (_depth === $undefined)
                    _depth = 0;
                if (_depth > $Reader.recursionLimit)
                    throw $Error("max depth exceeded");
                let end, message, value;
                if (length === $undefined)
                    end = reader.len;
                else {
                    end = reader.pos + length;
                    if (end > reader.len)
                        throw $RangeError("index out of range");
                    length = reader.len;
                    reader.len = end;
                }
                message = _target || new $root.outpost.v1.Hello();
                while (reader.pos < end) {
                    let start = reader.pos;
                    let tag = reader.tag();
                    if (tag === _end) {
                        _end = $undefined;
                        break;
                    }
                    let wireType = tag & 7;
                    switch (tag >>>= 3) {
                    case 1: {
                            if (wireType !== 0)
                                break;
                            if (value = reader.uint32())
                                message.version = value;
                            else
                                delete message.version;
                            continue;
                        }
                    case 2: {
                            if (wireType !== 2)
                                break;
                            if ((value = reader.stringVerify()).length)
                                message.agentName = value;
                            else
                                delete message.agentName;
                            continue;
                        }
                    case 3: {
                            if (wireType !== 2)
                                break;
                            if ((value = reader.bytes()).length)
                                message.agentKey = value;
                            else
                                delete message.agentKey;
                            continue;
                        }
                    case 4: {
                            if (wireType !== 2)
                                break;
                            if ((value = reader.bytes()).length)
                                message.nonce = value;
                            else
                                delete message.nonce;
                            continue;
                        }
                    case 5: {
                            if (wireType !== 0)
                                break;
                            if (typeof (value = reader.uint64()) === "object" ? value.low || value.high : value !== 0)
                                message.timeMs = value;
                            else
                                delete message.timeMs;
                            continue;
                        }
                    case 6: {
                            if (wireType !== 2)
                                break;
                            if ((value = reader.stringVerify()).length)
                                message.software = value;
                            else
                                delete message.software;
                            continue;
                        }
                    case 7: {
                            if (wireType !== 2)
                                break;
                            if ((value = reader.stringVerify()).length)
                                message.configHash = value;
                            else
                                delete message.configHash;
                            continue;
                        }
                    case 8: {
                            if (wireType !== 2)
                                break;
                            if ((value = reader.stringVerify()).length)
                                message.enrollToken = value;
                            else
                                delete message.enrollToken;
                            continue;
                        }
                    case 9: {
                            if (wireType !== 2)
                                break;
                            if ((value = reader.bytes()).length)
                                message.signature = value;
                            else
                                delete message.signature;
                            continue;
                        }
                    case 10: {
                            if (wireType !== 2)
                                break;
                            if ((value = reader.bytes()).length)
                                message.rotateToKey = value;
                            else
                                delete message.rotateToKey;
                            continue;
                        }
                    case 11: {
                            if (wireType !== 2)
                                break;
                            if ((value = reader.bytes()).length)
                                message.rotateSignatureOld = value;
                            else
                                delete message.rotateSignatureOld;
                            continue;
                        }
                    case 12: {
                            if (wireType !== 2)
                                break;
                            if ((value = reader.bytes()).length)
                                message.rotateSignatureNew = value;
                            else
                                delete message.rotateSignatureNew;
                            continue;
                        }
                    case 13: {
                            if (wireType !== 0)
                                break;
                            if (value = reader.uint32())
                                message.heartbeatIntervalMs = value;
                            else
                                delete message.heartbeatIntervalMs;
                            continue;
                        }
                    case 14: {
                            if (wireType !== 0)
                                break;
                            if (typeof (value = reader.uint64()) === "object" ? value.low || value.high : value !== 0)
                                message.configVersion = value;
                            else
                                delete message.configVersion;
                            continue;
                        }
                    }
                    reader.skipType(wireType, _depth, tag);
                    if (!reader.discardUnknown) {
                        $util.makeProp(message, "$unknowns", false);
                        (message.$unknowns || (message.$unknowns = [])).push(reader.raw(start, reader.pos));
                    }
                }
                if (length !== $undefined) {
                    if (reader.pos !== end)
                        throw $RangeError("index out of range");
                    reader.len = length;
                }
                if (_end !== $undefined)
                    throw $Error("missing end group");
                return message;
            };

            /**
             * Gets the type url for Hello
             * @function getTypeUrl
             * @memberof outpost.v1.Hello
             * @static
             * @param {string} [prefix] Custom type url prefix, defaults to `"type.googleapis.com"`
             * @returns {string} The type url
             */
            Hello.getTypeUrl = function(prefix) {
                if (prefix === $undefined)
                    prefix = "type.googleapis.com";
                return prefix + "/outpost.v1.Hello";
            };

            return Hello;
        })();

        v1.Welcome = (function() {

            /**
             * Properties of a Welcome.
             * @typedef {Object} outpost.v1.Welcome.$Properties
             * @property {Uint8Array|null} [signature] Welcome signature
             * @property {number|null} [timeMs] Welcome timeMs
             * @property {number|null} [lastBatchSeq] Welcome lastBatchSeq
             * @property {number|null} [maxResultId] Welcome maxResultId
             * @property {string|null} [agentStatus] Welcome agentStatus
             * @property {boolean|null} [keyRotated] Welcome keyRotated
             * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
             */

            /**
             * Properties of a Welcome.
             * @memberof outpost.v1
             * @interface IWelcome
             * @augments outpost.v1.Welcome.$Properties
             * @deprecated Use outpost.v1.Welcome.$Properties instead.
             */

            /**
             * Shape of a Welcome.
             * @typedef {outpost.v1.Welcome.$Properties} outpost.v1.Welcome.$Shape
             */

            /**
             * Constructs a new Welcome.
             * @memberof outpost.v1
             * @classdesc Represents a Welcome.
             * @constructor
             * @param {outpost.v1.Welcome.$Properties=} [properties] Properties to set
             * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
             */
            const Welcome = function (properties) {
                if (properties)
                    for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                        if (properties[keys[i]] != null && keys[i] !== "__proto__")
                            this[keys[i]] = properties[keys[i]];
            };

            /**
             * Welcome signature.
             * @member {Uint8Array} signature
             * @memberof outpost.v1.Welcome
             * @instance
             */
            Welcome.prototype.signature = $util.newBuffer([]);

            /**
             * Welcome timeMs.
             * @member {number} timeMs
             * @memberof outpost.v1.Welcome
             * @instance
             */
            Welcome.prototype.timeMs = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

            /**
             * Welcome lastBatchSeq.
             * @member {number} lastBatchSeq
             * @memberof outpost.v1.Welcome
             * @instance
             */
            Welcome.prototype.lastBatchSeq = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

            /**
             * Welcome maxResultId.
             * @member {number} maxResultId
             * @memberof outpost.v1.Welcome
             * @instance
             */
            Welcome.prototype.maxResultId = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

            /**
             * Welcome agentStatus.
             * @member {string} agentStatus
             * @memberof outpost.v1.Welcome
             * @instance
             */
            Welcome.prototype.agentStatus = "";

            /**
             * Welcome keyRotated.
             * @member {boolean} keyRotated
             * @memberof outpost.v1.Welcome
             * @instance
             */
            Welcome.prototype.keyRotated = false;

            /**
             * Encodes the specified Welcome message. Does not implicitly {@link outpost.v1.Welcome.verify|verify} messages.
             * @function encode
             * @memberof outpost.v1.Welcome
             * @static
             * @param {outpost.v1.Welcome.$Properties} message Welcome message or plain object to encode
             * @param {$protobuf.Writer} [writer] Writer to encode to
             * @returns {$protobuf.Writer} Writer
             */
            Welcome.encode = function (message, writer, _depth) {
                if (!writer)
                    writer = $Writer.create();
                if (_depth === $undefined)
                    _depth = 0;
                if (_depth > $util.recursionLimit)
                    throw $Error("max depth exceeded");
                if (message.signature != null && $Object.hasOwnProperty.call(message, "signature") && message.signature.length)
                    writer.uint32(/* id 1, wireType 2 =*/10).bytes(message.signature);
                if (message.timeMs != null && $Object.hasOwnProperty.call(message, "timeMs") && (typeof message.timeMs === "object" ? message.timeMs.low || message.timeMs.high : message.timeMs !== 0))
                    writer.uint32(/* id 2, wireType 0 =*/16).uint64(message.timeMs);
                if (message.lastBatchSeq != null && $Object.hasOwnProperty.call(message, "lastBatchSeq") && (typeof message.lastBatchSeq === "object" ? message.lastBatchSeq.low || message.lastBatchSeq.high : message.lastBatchSeq !== 0))
                    writer.uint32(/* id 3, wireType 0 =*/24).uint64(message.lastBatchSeq);
                if (message.maxResultId != null && $Object.hasOwnProperty.call(message, "maxResultId") && (typeof message.maxResultId === "object" ? message.maxResultId.low || message.maxResultId.high : message.maxResultId !== 0))
                    writer.uint32(/* id 4, wireType 0 =*/32).uint64(message.maxResultId);
                if (message.agentStatus != null && $Object.hasOwnProperty.call(message, "agentStatus") && message.agentStatus !== "")
                    writer.uint32(/* id 5, wireType 2 =*/42).string(message.agentStatus);
                if (message.keyRotated != null && $Object.hasOwnProperty.call(message, "keyRotated") && message.keyRotated !== false)
                    writer.uint32(/* id 6, wireType 0 =*/48).bool(message.keyRotated);
                if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                    for (let i = 0; i < message.$unknowns.length; ++i)
                        writer.raw(message.$unknowns[i]);
                return writer;
            };

            /**
             * Decodes a Welcome message from the specified reader or buffer.
             * @function decode
             * @memberof outpost.v1.Welcome
             * @static
             * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
             * @param {number} [length] Message length if known beforehand
             * @returns {outpost.v1.Welcome & outpost.v1.Welcome.$Shape} Welcome
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            Welcome.decode = function (reader, length, _end, _depth, _target) {
                if (!(reader instanceof $Reader))
                    reader = $Reader.create(reader);
                if (_depth === $undefined)
                    _depth = 0;
                if (_depth > $Reader.recursionLimit)
                    throw $Error("max depth exceeded");
                let end, message, value;
                if (length === $undefined)
                    end = reader.len;
                else {
                    end = reader.pos + length;
                    if (end > reader.len)
                        throw $RangeError("index out of range");
                    length = reader.len;
                    reader.len = end;
                }
                message = _target || new $root.outpost.v1.Welcome();
                while (reader.pos < end) {
                    let start = reader.pos;
                    let tag = reader.tag();
                    if (tag === _end) {
                        _end = $undefined;
                        break;
                    }
                    let wireType = tag & 7;
                    switch (tag >>>= 3) {
                    case 1: {
                            if (wireType !== 2)
                                break;
                            if ((value = reader.bytes()).length)
                                message.signature = value;
                            else
                                delete message.signature;
                            continue;
                        }
                    case 2: {
                            if (wireType !== 0)
                                break;
                            if (typeof (value = reader.uint64()) === "object" ? value.low || value.high : value !== 0)
                                message.timeMs = value;
                            else
                                delete message.timeMs;
                            continue;
                        }
                    case 3: {
                            if (wireType !== 0)
                                break;
                            if (typeof (value = reader.uint64()) === "object" ? value.low || value.high : value !== 0)
                                message.lastBatchSeq = value;
                            else
                                delete message.lastBatchSeq;
                            continue;
                        }
                    case 4: {
                            if (wireType !== 0)
                                break;
                            if (typeof (value = reader.uint64()) === "object" ? value.low || value.high : value !== 0)
                                message.maxResultId = value;
                            else
                                delete message.maxResultId;
                            continue;
                        }
                    case 5: {
                            if (wireType !== 2)
                                break;
                            if ((value = reader.stringVerify()).length)
                                message.agentStatus = value;
                            else
                                delete message.agentStatus;
                            continue;
                        }
                    case 6: {
                            if (wireType !== 0)
                                break;
                            if (value = reader.bool())
                                message.keyRotated = value;
                            else
                                delete message.keyRotated;
                            continue;
                        }
                    }
                    reader.skipType(wireType, _depth, tag);
                    if (!reader.discardUnknown) {
                        $util.makeProp(message, "$unknowns", false);
                        (message.$unknowns || (message.$unknowns = [])).push(reader.raw(start, reader.pos));
                    }
                }
                if (length !== $undefined) {
                    if (reader.pos !== end)
                        throw $RangeError("index out of range");
                    reader.len = length;
                }
                if (_end !== $undefined)
                    throw $Error("missing end group");
                return message;
            };

            /**
             * Gets the type url for Welcome
             * @function getTypeUrl
             * @memberof outpost.v1.Welcome
             * @static
             * @param {string} [prefix] Custom type url prefix, defaults to `"type.googleapis.com"`
             * @returns {string} The type url
             */
            Welcome.getTypeUrl = function(prefix) {
                if (prefix === $undefined)
                    prefix = "type.googleapis.com";
                return prefix + "/outpost.v1.Welcome";
            };

            return Welcome;
        })();

        v1.Batch = (function() {

            /**
             * Properties of a Batch.
             * @typedef {Object} outpost.v1.Batch.$Properties
             * @property {Uint8Array|null} [payload] Batch payload
             * @property {Uint8Array|null} [signature] Batch signature
             * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
             */

            /**
             * Properties of a Batch.
             * @memberof outpost.v1
             * @interface IBatch
             * @augments outpost.v1.Batch.$Properties
             * @deprecated Use outpost.v1.Batch.$Properties instead.
             */

            /**
             * Shape of a Batch.
             * @typedef {outpost.v1.Batch.$Properties} outpost.v1.Batch.$Shape
             */

            /**
             * Constructs a new Batch.
             * @memberof outpost.v1
             * @classdesc Represents a Batch.
             * @constructor
             * @param {outpost.v1.Batch.$Properties=} [properties] Properties to set
             * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
             */
            const Batch = function (properties) {
                if (properties)
                    for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                        if (properties[keys[i]] != null && keys[i] !== "__proto__")
                            this[keys[i]] = properties[keys[i]];
            };

            /**
             * Batch payload.
             * @member {Uint8Array} payload
             * @memberof outpost.v1.Batch
             * @instance
             */
            Batch.prototype.payload = $util.newBuffer([]);

            /**
             * Batch signature.
             * @member {Uint8Array} signature
             * @memberof outpost.v1.Batch
             * @instance
             */
            Batch.prototype.signature = $util.newBuffer([]);

            /**
             * Encodes the specified Batch message. Does not implicitly {@link outpost.v1.Batch.verify|verify} messages.
             * @function encode
             * @memberof outpost.v1.Batch
             * @static
             * @param {outpost.v1.Batch.$Properties} message Batch message or plain object to encode
             * @param {$protobuf.Writer} [writer] Writer to encode to
             * @returns {$protobuf.Writer} Writer
             */
            Batch.encode = function (message, writer, _depth) {
                if (!writer)
                    writer = $Writer.create();
                if (_depth === $undefined)
                    _depth = 0;
                if (_depth > $util.recursionLimit)
                    throw $Error("max depth exceeded");
                if (message.payload != null && $Object.hasOwnProperty.call(message, "payload") && message.payload.length)
                    writer.uint32(/* id 1, wireType 2 =*/10).bytes(message.payload);
                if (message.signature != null && $Object.hasOwnProperty.call(message, "signature") && message.signature.length)
                    writer.uint32(/* id 2, wireType 2 =*/18).bytes(message.signature);
                if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                    for (let i = 0; i < message.$unknowns.length; ++i)
                        writer.raw(message.$unknowns[i]);
                return writer;
            };

            /**
             * Decodes a Batch message from the specified reader or buffer.
             * @function decode
             * @memberof outpost.v1.Batch
             * @static
             * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
             * @param {number} [length] Message length if known beforehand
             * @returns {outpost.v1.Batch & outpost.v1.Batch.$Shape} Batch
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            Batch.decode = function (reader, length, _end, _depth, _target) {
                if (!(reader instanceof $Reader))
                    reader = $Reader.create(reader);
                if (_depth === $undefined)
                    _depth = 0;
                if (_depth > $Reader.recursionLimit)
                    throw $Error("max depth exceeded");
                let end, message, value;
                if (length === $undefined)
                    end = reader.len;
                else {
                    end = reader.pos + length;
                    if (end > reader.len)
                        throw $RangeError("index out of range");
                    length = reader.len;
                    reader.len = end;
                }
                message = _target || new $root.outpost.v1.Batch();
                while (reader.pos < end) {
                    let start = reader.pos;
                    let tag = reader.tag();
                    if (tag === _end) {
                        _end = $undefined;
                        break;
                    }
                    let wireType = tag & 7;
                    switch (tag >>>= 3) {
                    case 1: {
                            if (wireType !== 2)
                                break;
                            if ((value = reader.bytes()).length)
                                message.payload = value;
                            else
                                delete message.payload;
                            continue;
                        }
                    case 2: {
                            if (wireType !== 2)
                                break;
                            if ((value = reader.bytes()).length)
                                message.signature = value;
                            else
                                delete message.signature;
                            continue;
                        }
                    }
                    reader.skipType(wireType, _depth, tag);
                    if (!reader.discardUnknown) {
                        $util.makeProp(message, "$unknowns", false);
                        (message.$unknowns || (message.$unknowns = [])).push(reader.raw(start, reader.pos));
                    }
                }
                if (length !== $undefined) {
                    if (reader.pos !== end)
                        throw $RangeError("index out of range");
                    reader.len = length;
                }
                if (_end !== $undefined)
                    throw $Error("missing end group");
                return message;
            };

            /**
             * Gets the type url for Batch
             * @function getTypeUrl
             * @memberof outpost.v1.Batch
             * @static
             * @param {string} [prefix] Custom type url prefix, defaults to `"type.googleapis.com"`
             * @returns {string} The type url
             */
            Batch.getTypeUrl = function(prefix) {
                if (prefix === $undefined)
                    prefix = "type.googleapis.com";
                return prefix + "/outpost.v1.Batch";
            };

            return Batch;
        })();

        v1.BatchBody = (function() {

            /**
             * Properties of a BatchBody.
             * @typedef {Object} outpost.v1.BatchBody.$Properties
             * @property {Uint8Array|null} [agentKey] BatchBody agentKey
             * @property {number|null} [batchSeq] BatchBody batchSeq
             * @property {Array.<outpost.v1.Result.$Properties>|null} [results] BatchBody results
             * @property {Array.<outpost.v1.Gap.$Properties>|null} [gaps] BatchBody gaps
             * @property {number|null} [createdMs] BatchBody createdMs
             * @property {number|null} [clockOffsetMs] BatchBody clockOffsetMs
             * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
             */

            /**
             * Properties of a BatchBody.
             * @memberof outpost.v1
             * @interface IBatchBody
             * @augments outpost.v1.BatchBody.$Properties
             * @deprecated Use outpost.v1.BatchBody.$Properties instead.
             */

            /**
             * Shape of a BatchBody.
             * @typedef {outpost.v1.BatchBody.$Properties} outpost.v1.BatchBody.$Shape
             */

            /**
             * Constructs a new BatchBody.
             * @memberof outpost.v1
             * @classdesc Represents a BatchBody.
             * @constructor
             * @param {outpost.v1.BatchBody.$Properties=} [properties] Properties to set
             * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
             */
            const BatchBody = function (properties) {
                this.results = [];
                this.gaps = [];
                if (properties)
                    for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                        if (properties[keys[i]] != null && keys[i] !== "__proto__")
                            this[keys[i]] = properties[keys[i]];
            };

            /**
             * BatchBody agentKey.
             * @member {Uint8Array} agentKey
             * @memberof outpost.v1.BatchBody
             * @instance
             */
            BatchBody.prototype.agentKey = $util.newBuffer([]);

            /**
             * BatchBody batchSeq.
             * @member {number} batchSeq
             * @memberof outpost.v1.BatchBody
             * @instance
             */
            BatchBody.prototype.batchSeq = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

            /**
             * BatchBody results.
             * @member {Array.<outpost.v1.Result.$Properties>} results
             * @memberof outpost.v1.BatchBody
             * @instance
             */
            BatchBody.prototype.results = $util.emptyArray;

            /**
             * BatchBody gaps.
             * @member {Array.<outpost.v1.Gap.$Properties>} gaps
             * @memberof outpost.v1.BatchBody
             * @instance
             */
            BatchBody.prototype.gaps = $util.emptyArray;

            /**
             * BatchBody createdMs.
             * @member {number} createdMs
             * @memberof outpost.v1.BatchBody
             * @instance
             */
            BatchBody.prototype.createdMs = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

            /**
             * BatchBody clockOffsetMs.
             * @member {number} clockOffsetMs
             * @memberof outpost.v1.BatchBody
             * @instance
             */
            BatchBody.prototype.clockOffsetMs = $util.Long ? $util.Long.fromBits(0,0,false) : 0;

            /**
             * Encodes the specified BatchBody message. Does not implicitly {@link outpost.v1.BatchBody.verify|verify} messages.
             * @function encode
             * @memberof outpost.v1.BatchBody
             * @static
             * @param {outpost.v1.BatchBody.$Properties} message BatchBody message or plain object to encode
             * @param {$protobuf.Writer} [writer] Writer to encode to
             * @returns {$protobuf.Writer} Writer
             */
            BatchBody.encode = function (message, writer, _depth) {
                if (!writer)
                    writer = $Writer.create();
                if (_depth === $undefined)
                    _depth = 0;
                if (_depth > $util.recursionLimit)
                    throw $Error("max depth exceeded");
                if (message.agentKey != null && $Object.hasOwnProperty.call(message, "agentKey") && message.agentKey.length)
                    writer.uint32(/* id 1, wireType 2 =*/10).bytes(message.agentKey);
                if (message.batchSeq != null && $Object.hasOwnProperty.call(message, "batchSeq") && (typeof message.batchSeq === "object" ? message.batchSeq.low || message.batchSeq.high : message.batchSeq !== 0))
                    writer.uint32(/* id 2, wireType 0 =*/16).uint64(message.batchSeq);
                if (message.results != null && message.results.length)
                    for (let i = 0; i < message.results.length; ++i)
                        $root.outpost.v1.Result.encode(message.results[i], writer.uint32(/* id 3, wireType 2 =*/26).fork(), _depth + 1).ldelim();
                if (message.gaps != null && message.gaps.length)
                    for (let i = 0; i < message.gaps.length; ++i)
                        $root.outpost.v1.Gap.encode(message.gaps[i], writer.uint32(/* id 4, wireType 2 =*/34).fork(), _depth + 1).ldelim();
                if (message.createdMs != null && $Object.hasOwnProperty.call(message, "createdMs") && (typeof message.createdMs === "object" ? message.createdMs.low || message.createdMs.high : message.createdMs !== 0))
                    writer.uint32(/* id 5, wireType 0 =*/40).uint64(message.createdMs);
                if (message.clockOffsetMs != null && $Object.hasOwnProperty.call(message, "clockOffsetMs") && (typeof message.clockOffsetMs === "object" ? message.clockOffsetMs.low || message.clockOffsetMs.high : message.clockOffsetMs !== 0))
                    writer.uint32(/* id 6, wireType 0 =*/48).sint64(message.clockOffsetMs);
                if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                    for (let i = 0; i < message.$unknowns.length; ++i)
                        writer.raw(message.$unknowns[i]);
                return writer;
            };

            /**
             * Decodes a BatchBody message from the specified reader or buffer.
             * @function decode
             * @memberof outpost.v1.BatchBody
             * @static
             * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
             * @param {number} [length] Message length if known beforehand
             * @returns {outpost.v1.BatchBody & outpost.v1.BatchBody.$Shape} BatchBody
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            BatchBody.decode = function (reader, length, _end, _depth, _target) {
                if (!(reader instanceof $Reader))
                    reader = $Reader.create(reader);
                if (_depth === $undefined)
                    _depth = 0;
                if (_depth > $Reader.recursionLimit)
                    throw $Error("max depth exceeded");
                let end, message, value;
                if (length === $undefined)
                    end = reader.len;
                else {
                    end = reader.pos + length;
                    if (end > reader.len)
                        throw $RangeError("index out of range");
                    length = reader.len;
                    reader.len = end;
                }
                message = _target || new $root.outpost.v1.BatchBody();
                while (reader.pos < end) {
                    let start = reader.pos;
                    let tag = reader.tag();
                    if (tag === _end) {
                        _end = $undefined;
                        break;
                    }
                    let wireType = tag & 7;
                    switch (tag >>>= 3) {
                    case 1: {
                            if (wireType !== 2)
                                break;
                            if ((value = reader.bytes()).length)
                                message.agentKey = value;
                            else
                                delete message.agentKey;
                            continue;
                        }
                    case 2: {
                            if (wireType !== 0)
                                break;
                            if (typeof (value = reader.uint64()) === "object" ? value.low || value.high : value !== 0)
                                message.batchSeq = value;
                            else
                                delete message.batchSeq;
                            continue;
                        }
                    case 3: {
                            if (wireType !== 2)
                                break;
                            if (!(message.results && message.results.length))
                                message.results = [];
                            message.results.push($root.outpost.v1.Result.decode(reader, reader.size(), $undefined, _depth + 1));
                            continue;
                        }
                    case 4: {
                            if (wireType !== 2)
                                break;
                            if (!(message.gaps && message.gaps.length))
                                message.gaps = [];
                            message.gaps.push($root.outpost.v1.Gap.decode(reader, reader.size(), $undefined, _depth + 1));
                            continue;
                        }
                    case 5: {
                            if (wireType !== 0)
                                break;
                            if (typeof (value = reader.uint64()) === "object" ? value.low || value.high : value !== 0)
                                message.createdMs = value;
                            else
                                delete message.createdMs;
                            continue;
                        }
                    case 6: {
                            if (wireType !== 0)
                                break;
                            if (typeof (value = reader.sint64()) === "object" ? value.low || value.high : value !== 0)
                                message.clockOffsetMs = value;
                            else
                                delete message.clockOffsetMs;
                            continue;
                        }
                    }
                    reader.skipType(wireType, _depth, tag);
                    if (!reader.discardUnknown) {
                        $util.makeProp(message, "$unknowns", false);
                        (message.$unknowns || (message.$unknowns = [])).push(reader.raw(start, reader.pos));
                    }
                }
                if (length !== $undefined) {
                    if (reader.pos !== end)
                        throw $RangeError("index out of range");
                    reader.len = length;
                }
                if (_end !== $undefined)
                    throw $Error("missing end group");
                return message;
            };

            /**
             * Gets the type url for BatchBody
             * @function getTypeUrl
             * @memberof outpost.v1.BatchBody
             * @static
             * @param {string} [prefix] Custom type url prefix, defaults to `"type.googleapis.com"`
             * @returns {string} The type url
             */
            BatchBody.getTypeUrl = function(prefix) {
                if (prefix === $undefined)
                    prefix = "type.googleapis.com";
                return prefix + "/outpost.v1.BatchBody";
            };

            return BatchBody;
        })();

        /**
         * Status enum.
         * @name outpost.v1.Status
         * @enum {number}
         * @property {number} OK=0 OK value
         * @property {number} WARNING=1 WARNING value
         * @property {number} CRITICAL=2 CRITICAL value
         * @property {number} UNKNOWN=3 UNKNOWN value
         */
        v1.Status = (function() {
            const valuesById = $Object.create(null), values = $Object.create(valuesById);
            values[valuesById[0] = "OK"] = 0;
            values[valuesById[1] = "WARNING"] = 1;
            values[valuesById[2] = "CRITICAL"] = 2;
            values[valuesById[3] = "UNKNOWN"] = 3;
            return values;
        })();

        v1.Result = (function() {

            /**
             * Properties of a Result.
             * @typedef {Object} outpost.v1.Result.$Properties
             * @property {number|null} [resultId] Result resultId
             * @property {string|null} [checkId] Result checkId
             * @property {number|null} [startedAtMs] Result startedAtMs
             * @property {number|null} [durationUs] Result durationUs
             * @property {outpost.v1.Status|null} [status] Result status
             * @property {string|null} [observation] Result observation
             * @property {string|null} [message] Result message
             * @property {Object.<string,number>|null} [metrics] Result metrics
             * @property {Uint8Array|null} [transcript] Result transcript
             * @property {string|null} [checkConfigHash] Result checkConfigHash
             * @property {number|null} [intervalMs] Result intervalMs
             * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
             */

            /**
             * Properties of a Result.
             * @memberof outpost.v1
             * @interface IResult
             * @augments outpost.v1.Result.$Properties
             * @deprecated Use outpost.v1.Result.$Properties instead.
             */

            /**
             * Shape of a Result.
             * @typedef {outpost.v1.Result.$Properties} outpost.v1.Result.$Shape
             */

            /**
             * Constructs a new Result.
             * @memberof outpost.v1
             * @classdesc Represents a Result.
             * @constructor
             * @param {outpost.v1.Result.$Properties=} [properties] Properties to set
             * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
             */
            const Result = function (properties) {
                this.metrics = {};
                if (properties)
                    for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                        if (properties[keys[i]] != null && keys[i] !== "__proto__")
                            this[keys[i]] = properties[keys[i]];
            };

            /**
             * Result resultId.
             * @member {number} resultId
             * @memberof outpost.v1.Result
             * @instance
             */
            Result.prototype.resultId = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

            /**
             * Result checkId.
             * @member {string} checkId
             * @memberof outpost.v1.Result
             * @instance
             */
            Result.prototype.checkId = "";

            /**
             * Result startedAtMs.
             * @member {number} startedAtMs
             * @memberof outpost.v1.Result
             * @instance
             */
            Result.prototype.startedAtMs = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

            /**
             * Result durationUs.
             * @member {number} durationUs
             * @memberof outpost.v1.Result
             * @instance
             */
            Result.prototype.durationUs = 0;

            /**
             * Result status.
             * @member {outpost.v1.Status} status
             * @memberof outpost.v1.Result
             * @instance
             */
            Result.prototype.status = 0;

            /**
             * Result observation.
             * @member {string} observation
             * @memberof outpost.v1.Result
             * @instance
             */
            Result.prototype.observation = "";

            /**
             * Result message.
             * @member {string} message
             * @memberof outpost.v1.Result
             * @instance
             */
            Result.prototype.message = "";

            /**
             * Result metrics.
             * @member {Object.<string,number>} metrics
             * @memberof outpost.v1.Result
             * @instance
             */
            Result.prototype.metrics = $util.emptyObject;

            /**
             * Result transcript.
             * @member {Uint8Array} transcript
             * @memberof outpost.v1.Result
             * @instance
             */
            Result.prototype.transcript = $util.newBuffer([]);

            /**
             * Result checkConfigHash.
             * @member {string} checkConfigHash
             * @memberof outpost.v1.Result
             * @instance
             */
            Result.prototype.checkConfigHash = "";

            /**
             * Result intervalMs.
             * @member {number} intervalMs
             * @memberof outpost.v1.Result
             * @instance
             */
            Result.prototype.intervalMs = 0;

            /**
             * Encodes the specified Result message. Does not implicitly {@link outpost.v1.Result.verify|verify} messages.
             * @function encode
             * @memberof outpost.v1.Result
             * @static
             * @param {outpost.v1.Result.$Properties} message Result message or plain object to encode
             * @param {$protobuf.Writer} [writer] Writer to encode to
             * @returns {$protobuf.Writer} Writer
             */
            Result.encode = function (message, writer, _depth) {
                if (!writer)
                    writer = $Writer.create();
                if (_depth === $undefined)
                    _depth = 0;
                if (_depth > $util.recursionLimit)
                    throw $Error("max depth exceeded");
                if (message.resultId != null && $Object.hasOwnProperty.call(message, "resultId") && (typeof message.resultId === "object" ? message.resultId.low || message.resultId.high : message.resultId !== 0))
                    writer.uint32(/* id 1, wireType 0 =*/8).uint64(message.resultId);
                if (message.checkId != null && $Object.hasOwnProperty.call(message, "checkId") && message.checkId !== "")
                    writer.uint32(/* id 2, wireType 2 =*/18).string(message.checkId);
                if (message.startedAtMs != null && $Object.hasOwnProperty.call(message, "startedAtMs") && (typeof message.startedAtMs === "object" ? message.startedAtMs.low || message.startedAtMs.high : message.startedAtMs !== 0))
                    writer.uint32(/* id 3, wireType 0 =*/24).uint64(message.startedAtMs);
                if (message.durationUs != null && $Object.hasOwnProperty.call(message, "durationUs") && message.durationUs !== 0)
                    writer.uint32(/* id 4, wireType 0 =*/32).uint32(message.durationUs);
                if (message.status != null && $Object.hasOwnProperty.call(message, "status") && message.status !== 0)
                    writer.uint32(/* id 5, wireType 0 =*/40).int32(message.status);
                if (message.observation != null && $Object.hasOwnProperty.call(message, "observation") && message.observation !== "")
                    writer.uint32(/* id 6, wireType 2 =*/50).string(message.observation);
                if (message.message != null && $Object.hasOwnProperty.call(message, "message") && message.message !== "")
                    writer.uint32(/* id 7, wireType 2 =*/58).string(message.message);
                if (message.metrics != null && $Object.hasOwnProperty.call(message, "metrics"))
                    for (let keys = $Object.keys(message.metrics), i = 0; i < keys.length; ++i)
                        writer.uint32(/* id 8, wireType 2 =*/66).fork().uint32(/* id 1, wireType 2 =*/10).string(keys[i]).uint32(/* id 2, wireType 1 =*/17).double(message.metrics[keys[i]]).ldelim();
                if (message.transcript != null && $Object.hasOwnProperty.call(message, "transcript") && message.transcript.length)
                    writer.uint32(/* id 9, wireType 2 =*/74).bytes(message.transcript);
                if (message.checkConfigHash != null && $Object.hasOwnProperty.call(message, "checkConfigHash") && message.checkConfigHash !== "")
                    writer.uint32(/* id 10, wireType 2 =*/82).string(message.checkConfigHash);
                if (message.intervalMs != null && $Object.hasOwnProperty.call(message, "intervalMs") && message.intervalMs !== 0)
                    writer.uint32(/* id 11, wireType 0 =*/88).uint32(message.intervalMs);
                if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                    for (let i = 0; i < message.$unknowns.length; ++i)
                        writer.raw(message.$unknowns[i]);
                return writer;
            };

            /**
             * Decodes a Result message from the specified reader or buffer.
             * @function decode
             * @memberof outpost.v1.Result
             * @static
             * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
             * @param {number} [length] Message length if known beforehand
             * @returns {outpost.v1.Result & outpost.v1.Result.$Shape} Result
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            Result.decode = function (reader, length, _end, _depth, _target) {
                if (!(reader instanceof $Reader))
                    reader = $Reader.create(reader);
                if (_depth === $undefined)
                    _depth = 0;
                if (_depth > $Reader.recursionLimit)
                    throw $Error("max depth exceeded");
                let end, message, key, value;
                if (length === $undefined)
                    end = reader.len;
                else {
                    end = reader.pos + length;
                    if (end > reader.len)
                        throw $RangeError("index out of range");
                    length = reader.len;
                    reader.len = end;
                }
                message = _target || new $root.outpost.v1.Result();
                while (reader.pos < end) {
                    let start = reader.pos;
                    let tag = reader.tag();
                    if (tag === _end) {
                        _end = $undefined;
                        break;
                    }
                    let wireType = tag & 7;
                    switch (tag >>>= 3) {
                    case 1: {
                            if (wireType !== 0)
                                break;
                            if (typeof (value = reader.uint64()) === "object" ? value.low || value.high : value !== 0)
                                message.resultId = value;
                            else
                                delete message.resultId;
                            continue;
                        }
                    case 2: {
                            if (wireType !== 2)
                                break;
                            if ((value = reader.stringVerify()).length)
                                message.checkId = value;
                            else
                                delete message.checkId;
                            continue;
                        }
                    case 3: {
                            if (wireType !== 0)
                                break;
                            if (typeof (value = reader.uint64()) === "object" ? value.low || value.high : value !== 0)
                                message.startedAtMs = value;
                            else
                                delete message.startedAtMs;
                            continue;
                        }
                    case 4: {
                            if (wireType !== 0)
                                break;
                            if (value = reader.uint32())
                                message.durationUs = value;
                            else
                                delete message.durationUs;
                            continue;
                        }
                    case 5: {
                            if (wireType !== 0)
                                break;
                            if (value = reader.int32())
                                message.status = value;
                            else
                                delete message.status;
                            continue;
                        }
                    case 6: {
                            if (wireType !== 2)
                                break;
                            if ((value = reader.stringVerify()).length)
                                message.observation = value;
                            else
                                delete message.observation;
                            continue;
                        }
                    case 7: {
                            if (wireType !== 2)
                                break;
                            if ((value = reader.stringVerify()).length)
                                message.message = value;
                            else
                                delete message.message;
                            continue;
                        }
                    case 8: {
                            if (wireType !== 2)
                                break;
                            if (message.metrics === $util.emptyObject)
                                message.metrics = {};
                            let end2 = reader.size() + reader.pos;
                            if (end2 > reader.len)
                                throw $RangeError("index out of range");
                            reader.len = end2;
                            key = "";
                            value = 0;
                            while (reader.pos < end2) {
                                let tag2 = reader.tag();
                                wireType = tag2 & 7;
                                switch (tag2 >>>= 3) {
                                case 1:
                                    if (wireType !== 2)
                                        break;
                                    key = reader.stringVerify();
                                    continue;
                                case 2:
                                    if (wireType !== 1)
                                        break;
                                    value = reader.double();
                                    continue;
                                }
                                reader.skipType(wireType, _depth, tag2);
                            }
                            if (reader.pos !== end2)
                                throw $RangeError("index out of range");
                            reader.len = end;
                            if (key === "__proto__")
                                $util.makeProp(message.metrics, key);
                            message.metrics[key] = value;
                            continue;
                        }
                    case 9: {
                            if (wireType !== 2)
                                break;
                            if ((value = reader.bytes()).length)
                                message.transcript = value;
                            else
                                delete message.transcript;
                            continue;
                        }
                    case 10: {
                            if (wireType !== 2)
                                break;
                            if ((value = reader.stringVerify()).length)
                                message.checkConfigHash = value;
                            else
                                delete message.checkConfigHash;
                            continue;
                        }
                    case 11: {
                            if (wireType !== 0)
                                break;
                            if (value = reader.uint32())
                                message.intervalMs = value;
                            else
                                delete message.intervalMs;
                            continue;
                        }
                    }
                    reader.skipType(wireType, _depth, tag);
                    if (!reader.discardUnknown) {
                        $util.makeProp(message, "$unknowns", false);
                        (message.$unknowns || (message.$unknowns = [])).push(reader.raw(start, reader.pos));
                    }
                }
                if (length !== $undefined) {
                    if (reader.pos !== end)
                        throw $RangeError("index out of range");
                    reader.len = length;
                }
                if (_end !== $undefined)
                    throw $Error("missing end group");
                return message;
            };

            /**
             * Gets the type url for Result
             * @function getTypeUrl
             * @memberof outpost.v1.Result
             * @static
             * @param {string} [prefix] Custom type url prefix, defaults to `"type.googleapis.com"`
             * @returns {string} The type url
             */
            Result.getTypeUrl = function(prefix) {
                if (prefix === $undefined)
                    prefix = "type.googleapis.com";
                return prefix + "/outpost.v1.Result";
            };

            return Result;
        })();

        v1.Gap = (function() {

            /**
             * Properties of a Gap.
             * @typedef {Object} outpost.v1.Gap.$Properties
             * @property {number|null} [fromResultId] Gap fromResultId
             * @property {number|null} [toResultId] Gap toResultId
             * @property {number|null} [count] Gap count
             * @property {string|null} [reason] Gap reason
             * @property {number|null} [firstMs] Gap firstMs
             * @property {number|null} [lastMs] Gap lastMs
             * @property {Object.<string,number>|null} [perCheck] Gap perCheck
             * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
             */

            /**
             * Properties of a Gap.
             * @memberof outpost.v1
             * @interface IGap
             * @augments outpost.v1.Gap.$Properties
             * @deprecated Use outpost.v1.Gap.$Properties instead.
             */

            /**
             * Shape of a Gap.
             * @typedef {outpost.v1.Gap.$Properties} outpost.v1.Gap.$Shape
             */

            /**
             * Constructs a new Gap.
             * @memberof outpost.v1
             * @classdesc Represents a Gap.
             * @constructor
             * @param {outpost.v1.Gap.$Properties=} [properties] Properties to set
             * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
             */
            const Gap = function (properties) {
                this.perCheck = {};
                if (properties)
                    for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                        if (properties[keys[i]] != null && keys[i] !== "__proto__")
                            this[keys[i]] = properties[keys[i]];
            };

            /**
             * Gap fromResultId.
             * @member {number} fromResultId
             * @memberof outpost.v1.Gap
             * @instance
             */
            Gap.prototype.fromResultId = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

            /**
             * Gap toResultId.
             * @member {number} toResultId
             * @memberof outpost.v1.Gap
             * @instance
             */
            Gap.prototype.toResultId = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

            /**
             * Gap count.
             * @member {number} count
             * @memberof outpost.v1.Gap
             * @instance
             */
            Gap.prototype.count = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

            /**
             * Gap reason.
             * @member {string} reason
             * @memberof outpost.v1.Gap
             * @instance
             */
            Gap.prototype.reason = "";

            /**
             * Gap firstMs.
             * @member {number} firstMs
             * @memberof outpost.v1.Gap
             * @instance
             */
            Gap.prototype.firstMs = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

            /**
             * Gap lastMs.
             * @member {number} lastMs
             * @memberof outpost.v1.Gap
             * @instance
             */
            Gap.prototype.lastMs = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

            /**
             * Gap perCheck.
             * @member {Object.<string,number>} perCheck
             * @memberof outpost.v1.Gap
             * @instance
             */
            Gap.prototype.perCheck = $util.emptyObject;

            /**
             * Encodes the specified Gap message. Does not implicitly {@link outpost.v1.Gap.verify|verify} messages.
             * @function encode
             * @memberof outpost.v1.Gap
             * @static
             * @param {outpost.v1.Gap.$Properties} message Gap message or plain object to encode
             * @param {$protobuf.Writer} [writer] Writer to encode to
             * @returns {$protobuf.Writer} Writer
             */
            Gap.encode = function (message, writer, _depth) {
                if (!writer)
                    writer = $Writer.create();
                if (_depth === $undefined)
                    _depth = 0;
                if (_depth > $util.recursionLimit)
                    throw $Error("max depth exceeded");
                if (message.fromResultId != null && $Object.hasOwnProperty.call(message, "fromResultId") && (typeof message.fromResultId === "object" ? message.fromResultId.low || message.fromResultId.high : message.fromResultId !== 0))
                    writer.uint32(/* id 1, wireType 0 =*/8).uint64(message.fromResultId);
                if (message.toResultId != null && $Object.hasOwnProperty.call(message, "toResultId") && (typeof message.toResultId === "object" ? message.toResultId.low || message.toResultId.high : message.toResultId !== 0))
                    writer.uint32(/* id 2, wireType 0 =*/16).uint64(message.toResultId);
                if (message.count != null && $Object.hasOwnProperty.call(message, "count") && (typeof message.count === "object" ? message.count.low || message.count.high : message.count !== 0))
                    writer.uint32(/* id 3, wireType 0 =*/24).uint64(message.count);
                if (message.reason != null && $Object.hasOwnProperty.call(message, "reason") && message.reason !== "")
                    writer.uint32(/* id 4, wireType 2 =*/34).string(message.reason);
                if (message.firstMs != null && $Object.hasOwnProperty.call(message, "firstMs") && (typeof message.firstMs === "object" ? message.firstMs.low || message.firstMs.high : message.firstMs !== 0))
                    writer.uint32(/* id 5, wireType 0 =*/40).uint64(message.firstMs);
                if (message.lastMs != null && $Object.hasOwnProperty.call(message, "lastMs") && (typeof message.lastMs === "object" ? message.lastMs.low || message.lastMs.high : message.lastMs !== 0))
                    writer.uint32(/* id 6, wireType 0 =*/48).uint64(message.lastMs);
                if (message.perCheck != null && $Object.hasOwnProperty.call(message, "perCheck"))
                    for (let keys = $Object.keys(message.perCheck), i = 0; i < keys.length; ++i)
                        writer.uint32(/* id 7, wireType 2 =*/58).fork().uint32(/* id 1, wireType 2 =*/10).string(keys[i]).uint32(/* id 2, wireType 0 =*/16).uint64(message.perCheck[keys[i]]).ldelim();
                if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                    for (let i = 0; i < message.$unknowns.length; ++i)
                        writer.raw(message.$unknowns[i]);
                return writer;
            };

            /**
             * Decodes a Gap message from the specified reader or buffer.
             * @function decode
             * @memberof outpost.v1.Gap
             * @static
             * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
             * @param {number} [length] Message length if known beforehand
             * @returns {outpost.v1.Gap & outpost.v1.Gap.$Shape} Gap
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            Gap.decode = function (reader, length, _end, _depth, _target) {
                if (!(reader instanceof $Reader))
                    reader = $Reader.create(reader);
                if (_depth === $undefined)
                    _depth = 0;
                if (_depth > $Reader.recursionLimit)
                    throw $Error("max depth exceeded");
                let end, message, key, value;
                if (length === $undefined)
                    end = reader.len;
                else {
                    end = reader.pos + length;
                    if (end > reader.len)
                        throw $RangeError("index out of range");
                    length = reader.len;
                    reader.len = end;
                }
                message = _target || new $root.outpost.v1.Gap();
                while (reader.pos < end) {
                    let start = reader.pos;
                    let tag = reader.tag();
                    if (tag === _end) {
                        _end = $undefined;
                        break;
                    }
                    let wireType = tag & 7;
                    switch (tag >>>= 3) {
                    case 1: {
                            if (wireType !== 0)
                                break;
                            if (typeof (value = reader.uint64()) === "object" ? value.low || value.high : value !== 0)
                                message.fromResultId = value;
                            else
                                delete message.fromResultId;
                            continue;
                        }
                    case 2: {
                            if (wireType !== 0)
                                break;
                            if (typeof (value = reader.uint64()) === "object" ? value.low || value.high : value !== 0)
                                message.toResultId = value;
                            else
                                delete message.toResultId;
                            continue;
                        }
                    case 3: {
                            if (wireType !== 0)
                                break;
                            if (typeof (value = reader.uint64()) === "object" ? value.low || value.high : value !== 0)
                                message.count = value;
                            else
                                delete message.count;
                            continue;
                        }
                    case 4: {
                            if (wireType !== 2)
                                break;
                            if ((value = reader.stringVerify()).length)
                                message.reason = value;
                            else
                                delete message.reason;
                            continue;
                        }
                    case 5: {
                            if (wireType !== 0)
                                break;
                            if (typeof (value = reader.uint64()) === "object" ? value.low || value.high : value !== 0)
                                message.firstMs = value;
                            else
                                delete message.firstMs;
                            continue;
                        }
                    case 6: {
                            if (wireType !== 0)
                                break;
                            if (typeof (value = reader.uint64()) === "object" ? value.low || value.high : value !== 0)
                                message.lastMs = value;
                            else
                                delete message.lastMs;
                            continue;
                        }
                    case 7: {
                            if (wireType !== 2)
                                break;
                            if (message.perCheck === $util.emptyObject)
                                message.perCheck = {};
                            let end2 = reader.size() + reader.pos;
                            if (end2 > reader.len)
                                throw $RangeError("index out of range");
                            reader.len = end2;
                            key = "";
                            value = $util.Long ? $util.Long.fromNumber(0, true) : 0;
                            while (reader.pos < end2) {
                                let tag2 = reader.tag();
                                wireType = tag2 & 7;
                                switch (tag2 >>>= 3) {
                                case 1:
                                    if (wireType !== 2)
                                        break;
                                    key = reader.stringVerify();
                                    continue;
                                case 2:
                                    if (wireType !== 0)
                                        break;
                                    value = reader.uint64();
                                    continue;
                                }
                                reader.skipType(wireType, _depth, tag2);
                            }
                            if (reader.pos !== end2)
                                throw $RangeError("index out of range");
                            reader.len = end;
                            if (key === "__proto__")
                                $util.makeProp(message.perCheck, key);
                            message.perCheck[key] = value;
                            continue;
                        }
                    }
                    reader.skipType(wireType, _depth, tag);
                    if (!reader.discardUnknown) {
                        $util.makeProp(message, "$unknowns", false);
                        (message.$unknowns || (message.$unknowns = [])).push(reader.raw(start, reader.pos));
                    }
                }
                if (length !== $undefined) {
                    if (reader.pos !== end)
                        throw $RangeError("index out of range");
                    reader.len = length;
                }
                if (_end !== $undefined)
                    throw $Error("missing end group");
                return message;
            };

            /**
             * Gets the type url for Gap
             * @function getTypeUrl
             * @memberof outpost.v1.Gap
             * @static
             * @param {string} [prefix] Custom type url prefix, defaults to `"type.googleapis.com"`
             * @returns {string} The type url
             */
            Gap.getTypeUrl = function(prefix) {
                if (prefix === $undefined)
                    prefix = "type.googleapis.com";
                return prefix + "/outpost.v1.Gap";
            };

            return Gap;
        })();

        v1.Ack = (function() {

            /**
             * Properties of an Ack.
             * @typedef {Object} outpost.v1.Ack.$Properties
             * @property {number|null} [batchSeq] Ack batchSeq
             * @property {number|null} [stored] Ack stored
             * @property {number|null} [duplicates] Ack duplicates
             * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
             */

            /**
             * Properties of an Ack.
             * @memberof outpost.v1
             * @interface IAck
             * @augments outpost.v1.Ack.$Properties
             * @deprecated Use outpost.v1.Ack.$Properties instead.
             */

            /**
             * Shape of an Ack.
             * @typedef {outpost.v1.Ack.$Properties} outpost.v1.Ack.$Shape
             */

            /**
             * Constructs a new Ack.
             * @memberof outpost.v1
             * @classdesc Represents an Ack.
             * @constructor
             * @param {outpost.v1.Ack.$Properties=} [properties] Properties to set
             * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
             */
            const Ack = function (properties) {
                if (properties)
                    for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                        if (properties[keys[i]] != null && keys[i] !== "__proto__")
                            this[keys[i]] = properties[keys[i]];
            };

            /**
             * Ack batchSeq.
             * @member {number} batchSeq
             * @memberof outpost.v1.Ack
             * @instance
             */
            Ack.prototype.batchSeq = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

            /**
             * Ack stored.
             * @member {number} stored
             * @memberof outpost.v1.Ack
             * @instance
             */
            Ack.prototype.stored = 0;

            /**
             * Ack duplicates.
             * @member {number} duplicates
             * @memberof outpost.v1.Ack
             * @instance
             */
            Ack.prototype.duplicates = 0;

            /**
             * Encodes the specified Ack message. Does not implicitly {@link outpost.v1.Ack.verify|verify} messages.
             * @function encode
             * @memberof outpost.v1.Ack
             * @static
             * @param {outpost.v1.Ack.$Properties} message Ack message or plain object to encode
             * @param {$protobuf.Writer} [writer] Writer to encode to
             * @returns {$protobuf.Writer} Writer
             */
            Ack.encode = function (message, writer, _depth) {
                if (!writer)
                    writer = $Writer.create();
                if (_depth === $undefined)
                    _depth = 0;
                if (_depth > $util.recursionLimit)
                    throw $Error("max depth exceeded");
                if (message.batchSeq != null && $Object.hasOwnProperty.call(message, "batchSeq") && (typeof message.batchSeq === "object" ? message.batchSeq.low || message.batchSeq.high : message.batchSeq !== 0))
                    writer.uint32(/* id 1, wireType 0 =*/8).uint64(message.batchSeq);
                if (message.stored != null && $Object.hasOwnProperty.call(message, "stored") && message.stored !== 0)
                    writer.uint32(/* id 2, wireType 0 =*/16).uint32(message.stored);
                if (message.duplicates != null && $Object.hasOwnProperty.call(message, "duplicates") && message.duplicates !== 0)
                    writer.uint32(/* id 3, wireType 0 =*/24).uint32(message.duplicates);
                if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                    for (let i = 0; i < message.$unknowns.length; ++i)
                        writer.raw(message.$unknowns[i]);
                return writer;
            };

            /**
             * Decodes an Ack message from the specified reader or buffer.
             * @function decode
             * @memberof outpost.v1.Ack
             * @static
             * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
             * @param {number} [length] Message length if known beforehand
             * @returns {outpost.v1.Ack & outpost.v1.Ack.$Shape} Ack
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            Ack.decode = function (reader, length, _end, _depth, _target) {
                if (!(reader instanceof $Reader))
                    reader = $Reader.create(reader);
                if (_depth === $undefined)
                    _depth = 0;
                if (_depth > $Reader.recursionLimit)
                    throw $Error("max depth exceeded");
                let end, message, value;
                if (length === $undefined)
                    end = reader.len;
                else {
                    end = reader.pos + length;
                    if (end > reader.len)
                        throw $RangeError("index out of range");
                    length = reader.len;
                    reader.len = end;
                }
                message = _target || new $root.outpost.v1.Ack();
                while (reader.pos < end) {
                    let start = reader.pos;
                    let tag = reader.tag();
                    if (tag === _end) {
                        _end = $undefined;
                        break;
                    }
                    let wireType = tag & 7;
                    switch (tag >>>= 3) {
                    case 1: {
                            if (wireType !== 0)
                                break;
                            if (typeof (value = reader.uint64()) === "object" ? value.low || value.high : value !== 0)
                                message.batchSeq = value;
                            else
                                delete message.batchSeq;
                            continue;
                        }
                    case 2: {
                            if (wireType !== 0)
                                break;
                            if (value = reader.uint32())
                                message.stored = value;
                            else
                                delete message.stored;
                            continue;
                        }
                    case 3: {
                            if (wireType !== 0)
                                break;
                            if (value = reader.uint32())
                                message.duplicates = value;
                            else
                                delete message.duplicates;
                            continue;
                        }
                    }
                    reader.skipType(wireType, _depth, tag);
                    if (!reader.discardUnknown) {
                        $util.makeProp(message, "$unknowns", false);
                        (message.$unknowns || (message.$unknowns = [])).push(reader.raw(start, reader.pos));
                    }
                }
                if (length !== $undefined) {
                    if (reader.pos !== end)
                        throw $RangeError("index out of range");
                    reader.len = length;
                }
                if (_end !== $undefined)
                    throw $Error("missing end group");
                return message;
            };

            /**
             * Gets the type url for Ack
             * @function getTypeUrl
             * @memberof outpost.v1.Ack
             * @static
             * @param {string} [prefix] Custom type url prefix, defaults to `"type.googleapis.com"`
             * @returns {string} The type url
             */
            Ack.getTypeUrl = function(prefix) {
                if (prefix === $undefined)
                    prefix = "type.googleapis.com";
                return prefix + "/outpost.v1.Ack";
            };

            return Ack;
        })();

        v1.Heartbeat = (function() {

            /**
             * Properties of a Heartbeat.
             * @typedef {Object} outpost.v1.Heartbeat.$Properties
             * @property {number|null} [timeMs] Heartbeat timeMs
             * @property {number|null} [backlog] Heartbeat backlog
             * @property {number|null} [oldestUnsentMs] Heartbeat oldestUnsentMs
             * @property {number|null} [dropped] Heartbeat dropped
             * @property {string|null} [configHash] Heartbeat configHash
             * @property {number|null} [configVersion] Heartbeat configVersion
             * @property {string|null} [configError] Heartbeat configError
             * @property {number|null} [relayAgents] Heartbeat relayAgents
             * @property {number|null} [relayBacklog] Heartbeat relayBacklog
             * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
             */

            /**
             * Properties of a Heartbeat.
             * @memberof outpost.v1
             * @interface IHeartbeat
             * @augments outpost.v1.Heartbeat.$Properties
             * @deprecated Use outpost.v1.Heartbeat.$Properties instead.
             */

            /**
             * Shape of a Heartbeat.
             * @typedef {outpost.v1.Heartbeat.$Properties} outpost.v1.Heartbeat.$Shape
             */

            /**
             * Constructs a new Heartbeat.
             * @memberof outpost.v1
             * @classdesc Represents a Heartbeat.
             * @constructor
             * @param {outpost.v1.Heartbeat.$Properties=} [properties] Properties to set
             * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
             */
            const Heartbeat = function (properties) {
                if (properties)
                    for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                        if (properties[keys[i]] != null && keys[i] !== "__proto__")
                            this[keys[i]] = properties[keys[i]];
            };

            /**
             * Heartbeat timeMs.
             * @member {number} timeMs
             * @memberof outpost.v1.Heartbeat
             * @instance
             */
            Heartbeat.prototype.timeMs = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

            /**
             * Heartbeat backlog.
             * @member {number} backlog
             * @memberof outpost.v1.Heartbeat
             * @instance
             */
            Heartbeat.prototype.backlog = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

            /**
             * Heartbeat oldestUnsentMs.
             * @member {number} oldestUnsentMs
             * @memberof outpost.v1.Heartbeat
             * @instance
             */
            Heartbeat.prototype.oldestUnsentMs = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

            /**
             * Heartbeat dropped.
             * @member {number} dropped
             * @memberof outpost.v1.Heartbeat
             * @instance
             */
            Heartbeat.prototype.dropped = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

            /**
             * Heartbeat configHash.
             * @member {string} configHash
             * @memberof outpost.v1.Heartbeat
             * @instance
             */
            Heartbeat.prototype.configHash = "";

            /**
             * Heartbeat configVersion.
             * @member {number} configVersion
             * @memberof outpost.v1.Heartbeat
             * @instance
             */
            Heartbeat.prototype.configVersion = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

            /**
             * Heartbeat configError.
             * @member {string} configError
             * @memberof outpost.v1.Heartbeat
             * @instance
             */
            Heartbeat.prototype.configError = "";

            /**
             * Heartbeat relayAgents.
             * @member {number} relayAgents
             * @memberof outpost.v1.Heartbeat
             * @instance
             */
            Heartbeat.prototype.relayAgents = 0;

            /**
             * Heartbeat relayBacklog.
             * @member {number} relayBacklog
             * @memberof outpost.v1.Heartbeat
             * @instance
             */
            Heartbeat.prototype.relayBacklog = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

            /**
             * Encodes the specified Heartbeat message. Does not implicitly {@link outpost.v1.Heartbeat.verify|verify} messages.
             * @function encode
             * @memberof outpost.v1.Heartbeat
             * @static
             * @param {outpost.v1.Heartbeat.$Properties} message Heartbeat message or plain object to encode
             * @param {$protobuf.Writer} [writer] Writer to encode to
             * @returns {$protobuf.Writer} Writer
             */
            Heartbeat.encode = function (message, writer, _depth) {
                if (!writer)
                    writer = $Writer.create();
                if (_depth === $undefined)
                    _depth = 0;
                if (_depth > $util.recursionLimit)
                    throw $Error("max depth exceeded");
                if (message.timeMs != null && $Object.hasOwnProperty.call(message, "timeMs") && (typeof message.timeMs === "object" ? message.timeMs.low || message.timeMs.high : message.timeMs !== 0))
                    writer.uint32(/* id 1, wireType 0 =*/8).uint64(message.timeMs);
                if (message.backlog != null && $Object.hasOwnProperty.call(message, "backlog") && (typeof message.backlog === "object" ? message.backlog.low || message.backlog.high : message.backlog !== 0))
                    writer.uint32(/* id 2, wireType 0 =*/16).uint64(message.backlog);
                if (message.oldestUnsentMs != null && $Object.hasOwnProperty.call(message, "oldestUnsentMs") && (typeof message.oldestUnsentMs === "object" ? message.oldestUnsentMs.low || message.oldestUnsentMs.high : message.oldestUnsentMs !== 0))
                    writer.uint32(/* id 3, wireType 0 =*/24).uint64(message.oldestUnsentMs);
                if (message.dropped != null && $Object.hasOwnProperty.call(message, "dropped") && (typeof message.dropped === "object" ? message.dropped.low || message.dropped.high : message.dropped !== 0))
                    writer.uint32(/* id 4, wireType 0 =*/32).uint64(message.dropped);
                if (message.configHash != null && $Object.hasOwnProperty.call(message, "configHash") && message.configHash !== "")
                    writer.uint32(/* id 5, wireType 2 =*/42).string(message.configHash);
                if (message.configVersion != null && $Object.hasOwnProperty.call(message, "configVersion") && (typeof message.configVersion === "object" ? message.configVersion.low || message.configVersion.high : message.configVersion !== 0))
                    writer.uint32(/* id 6, wireType 0 =*/48).uint64(message.configVersion);
                if (message.configError != null && $Object.hasOwnProperty.call(message, "configError") && message.configError !== "")
                    writer.uint32(/* id 7, wireType 2 =*/58).string(message.configError);
                if (message.relayAgents != null && $Object.hasOwnProperty.call(message, "relayAgents") && message.relayAgents !== 0)
                    writer.uint32(/* id 8, wireType 0 =*/64).uint32(message.relayAgents);
                if (message.relayBacklog != null && $Object.hasOwnProperty.call(message, "relayBacklog") && (typeof message.relayBacklog === "object" ? message.relayBacklog.low || message.relayBacklog.high : message.relayBacklog !== 0))
                    writer.uint32(/* id 9, wireType 0 =*/72).uint64(message.relayBacklog);
                if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                    for (let i = 0; i < message.$unknowns.length; ++i)
                        writer.raw(message.$unknowns[i]);
                return writer;
            };

            /**
             * Decodes a Heartbeat message from the specified reader or buffer.
             * @function decode
             * @memberof outpost.v1.Heartbeat
             * @static
             * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
             * @param {number} [length] Message length if known beforehand
             * @returns {outpost.v1.Heartbeat & outpost.v1.Heartbeat.$Shape} Heartbeat
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            Heartbeat.decode = function (reader, length, _end, _depth, _target) {
                if (!(reader instanceof $Reader))
                    reader = $Reader.create(reader);
                if (_depth === $undefined)
                    _depth = 0;
                if (_depth > $Reader.recursionLimit)
                    throw $Error("max depth exceeded");
                let end, message, value;
                if (length === $undefined)
                    end = reader.len;
                else {
                    end = reader.pos + length;
                    if (end > reader.len)
                        throw $RangeError("index out of range");
                    length = reader.len;
                    reader.len = end;
                }
                message = _target || new $root.outpost.v1.Heartbeat();
                while (reader.pos < end) {
                    let start = reader.pos;
                    let tag = reader.tag();
                    if (tag === _end) {
                        _end = $undefined;
                        break;
                    }
                    let wireType = tag & 7;
                    switch (tag >>>= 3) {
                    case 1: {
                            if (wireType !== 0)
                                break;
                            if (typeof (value = reader.uint64()) === "object" ? value.low || value.high : value !== 0)
                                message.timeMs = value;
                            else
                                delete message.timeMs;
                            continue;
                        }
                    case 2: {
                            if (wireType !== 0)
                                break;
                            if (typeof (value = reader.uint64()) === "object" ? value.low || value.high : value !== 0)
                                message.backlog = value;
                            else
                                delete message.backlog;
                            continue;
                        }
                    case 3: {
                            if (wireType !== 0)
                                break;
                            if (typeof (value = reader.uint64()) === "object" ? value.low || value.high : value !== 0)
                                message.oldestUnsentMs = value;
                            else
                                delete message.oldestUnsentMs;
                            continue;
                        }
                    case 4: {
                            if (wireType !== 0)
                                break;
                            if (typeof (value = reader.uint64()) === "object" ? value.low || value.high : value !== 0)
                                message.dropped = value;
                            else
                                delete message.dropped;
                            continue;
                        }
                    case 5: {
                            if (wireType !== 2)
                                break;
                            if ((value = reader.stringVerify()).length)
                                message.configHash = value;
                            else
                                delete message.configHash;
                            continue;
                        }
                    case 6: {
                            if (wireType !== 0)
                                break;
                            if (typeof (value = reader.uint64()) === "object" ? value.low || value.high : value !== 0)
                                message.configVersion = value;
                            else
                                delete message.configVersion;
                            continue;
                        }
                    case 7: {
                            if (wireType !== 2)
                                break;
                            if ((value = reader.stringVerify()).length)
                                message.configError = value;
                            else
                                delete message.configError;
                            continue;
                        }
                    case 8: {
                            if (wireType !== 0)
                                break;
                            if (value = reader.uint32())
                                message.relayAgents = value;
                            else
                                delete message.relayAgents;
                            continue;
                        }
                    case 9: {
                            if (wireType !== 0)
                                break;
                            if (typeof (value = reader.uint64()) === "object" ? value.low || value.high : value !== 0)
                                message.relayBacklog = value;
                            else
                                delete message.relayBacklog;
                            continue;
                        }
                    }
                    reader.skipType(wireType, _depth, tag);
                    if (!reader.discardUnknown) {
                        $util.makeProp(message, "$unknowns", false);
                        (message.$unknowns || (message.$unknowns = [])).push(reader.raw(start, reader.pos));
                    }
                }
                if (length !== $undefined) {
                    if (reader.pos !== end)
                        throw $RangeError("index out of range");
                    reader.len = length;
                }
                if (_end !== $undefined)
                    throw $Error("missing end group");
                return message;
            };

            /**
             * Gets the type url for Heartbeat
             * @function getTypeUrl
             * @memberof outpost.v1.Heartbeat
             * @static
             * @param {string} [prefix] Custom type url prefix, defaults to `"type.googleapis.com"`
             * @returns {string} The type url
             */
            Heartbeat.getTypeUrl = function(prefix) {
                if (prefix === $undefined)
                    prefix = "type.googleapis.com";
                return prefix + "/outpost.v1.Heartbeat";
            };

            return Heartbeat;
        })();

        v1.ConfigPush = (function() {

            /**
             * Properties of a ConfigPush.
             * @typedef {Object} outpost.v1.ConfigPush.$Properties
             * @property {number|null} [version] ConfigPush version
             * @property {Uint8Array|null} [config] ConfigPush config
             * @property {Uint8Array|null} [signature] ConfigPush signature
             * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
             */

            /**
             * Properties of a ConfigPush.
             * @memberof outpost.v1
             * @interface IConfigPush
             * @augments outpost.v1.ConfigPush.$Properties
             * @deprecated Use outpost.v1.ConfigPush.$Properties instead.
             */

            /**
             * Shape of a ConfigPush.
             * @typedef {outpost.v1.ConfigPush.$Properties} outpost.v1.ConfigPush.$Shape
             */

            /**
             * Constructs a new ConfigPush.
             * @memberof outpost.v1
             * @classdesc Represents a ConfigPush.
             * @constructor
             * @param {outpost.v1.ConfigPush.$Properties=} [properties] Properties to set
             * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
             */
            const ConfigPush = function (properties) {
                if (properties)
                    for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                        if (properties[keys[i]] != null && keys[i] !== "__proto__")
                            this[keys[i]] = properties[keys[i]];
            };

            /**
             * ConfigPush version.
             * @member {number} version
             * @memberof outpost.v1.ConfigPush
             * @instance
             */
            ConfigPush.prototype.version = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

            /**
             * ConfigPush config.
             * @member {Uint8Array} config
             * @memberof outpost.v1.ConfigPush
             * @instance
             */
            ConfigPush.prototype.config = $util.newBuffer([]);

            /**
             * ConfigPush signature.
             * @member {Uint8Array} signature
             * @memberof outpost.v1.ConfigPush
             * @instance
             */
            ConfigPush.prototype.signature = $util.newBuffer([]);

            /**
             * Encodes the specified ConfigPush message. Does not implicitly {@link outpost.v1.ConfigPush.verify|verify} messages.
             * @function encode
             * @memberof outpost.v1.ConfigPush
             * @static
             * @param {outpost.v1.ConfigPush.$Properties} message ConfigPush message or plain object to encode
             * @param {$protobuf.Writer} [writer] Writer to encode to
             * @returns {$protobuf.Writer} Writer
             */
            ConfigPush.encode = function (message, writer, _depth) {
                if (!writer)
                    writer = $Writer.create();
                if (_depth === $undefined)
                    _depth = 0;
                if (_depth > $util.recursionLimit)
                    throw $Error("max depth exceeded");
                if (message.version != null && $Object.hasOwnProperty.call(message, "version") && (typeof message.version === "object" ? message.version.low || message.version.high : message.version !== 0))
                    writer.uint32(/* id 1, wireType 0 =*/8).uint64(message.version);
                if (message.config != null && $Object.hasOwnProperty.call(message, "config") && message.config.length)
                    writer.uint32(/* id 2, wireType 2 =*/18).bytes(message.config);
                if (message.signature != null && $Object.hasOwnProperty.call(message, "signature") && message.signature.length)
                    writer.uint32(/* id 3, wireType 2 =*/26).bytes(message.signature);
                if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                    for (let i = 0; i < message.$unknowns.length; ++i)
                        writer.raw(message.$unknowns[i]);
                return writer;
            };

            /**
             * Decodes a ConfigPush message from the specified reader or buffer.
             * @function decode
             * @memberof outpost.v1.ConfigPush
             * @static
             * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
             * @param {number} [length] Message length if known beforehand
             * @returns {outpost.v1.ConfigPush & outpost.v1.ConfigPush.$Shape} ConfigPush
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            ConfigPush.decode = function (reader, length, _end, _depth, _target) {
                if (!(reader instanceof $Reader))
                    reader = $Reader.create(reader);
                if (_depth === $undefined)
                    _depth = 0;
                if (_depth > $Reader.recursionLimit)
                    throw $Error("max depth exceeded");
                let end, message, value;
                if (length === $undefined)
                    end = reader.len;
                else {
                    end = reader.pos + length;
                    if (end > reader.len)
                        throw $RangeError("index out of range");
                    length = reader.len;
                    reader.len = end;
                }
                message = _target || new $root.outpost.v1.ConfigPush();
                while (reader.pos < end) {
                    let start = reader.pos;
                    let tag = reader.tag();
                    if (tag === _end) {
                        _end = $undefined;
                        break;
                    }
                    let wireType = tag & 7;
                    switch (tag >>>= 3) {
                    case 1: {
                            if (wireType !== 0)
                                break;
                            if (typeof (value = reader.uint64()) === "object" ? value.low || value.high : value !== 0)
                                message.version = value;
                            else
                                delete message.version;
                            continue;
                        }
                    case 2: {
                            if (wireType !== 2)
                                break;
                            if ((value = reader.bytes()).length)
                                message.config = value;
                            else
                                delete message.config;
                            continue;
                        }
                    case 3: {
                            if (wireType !== 2)
                                break;
                            if ((value = reader.bytes()).length)
                                message.signature = value;
                            else
                                delete message.signature;
                            continue;
                        }
                    }
                    reader.skipType(wireType, _depth, tag);
                    if (!reader.discardUnknown) {
                        $util.makeProp(message, "$unknowns", false);
                        (message.$unknowns || (message.$unknowns = [])).push(reader.raw(start, reader.pos));
                    }
                }
                if (length !== $undefined) {
                    if (reader.pos !== end)
                        throw $RangeError("index out of range");
                    reader.len = length;
                }
                if (_end !== $undefined)
                    throw $Error("missing end group");
                return message;
            };

            /**
             * Gets the type url for ConfigPush
             * @function getTypeUrl
             * @memberof outpost.v1.ConfigPush
             * @static
             * @param {string} [prefix] Custom type url prefix, defaults to `"type.googleapis.com"`
             * @returns {string} The type url
             */
            ConfigPush.getTypeUrl = function(prefix) {
                if (prefix === $undefined)
                    prefix = "type.googleapis.com";
                return prefix + "/outpost.v1.ConfigPush";
            };

            return ConfigPush;
        })();

        v1.Error = (function() {

            /**
             * Properties of an Error.
             * @typedef {Object} outpost.v1.Error.$Properties
             * @property {string|null} [code] Error code
             * @property {string|null} [message] Error message
             * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
             */

            /**
             * Properties of an Error.
             * @memberof outpost.v1
             * @interface IError
             * @augments outpost.v1.Error.$Properties
             * @deprecated Use outpost.v1.Error.$Properties instead.
             */

            /**
             * Shape of an Error.
             * @typedef {outpost.v1.Error.$Properties} outpost.v1.Error.$Shape
             */

            /**
             * Constructs a new Error.
             * @memberof outpost.v1
             * @classdesc Represents an Error.
             * @constructor
             * @param {outpost.v1.Error.$Properties=} [properties] Properties to set
             * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
             */
            const Error = function (properties) {
                if (properties)
                    for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                        if (properties[keys[i]] != null && keys[i] !== "__proto__")
                            this[keys[i]] = properties[keys[i]];
            };

            /**
             * Error code.
             * @member {string} code
             * @memberof outpost.v1.Error
             * @instance
             */
            Error.prototype.code = "";

            /**
             * Error message.
             * @member {string} message
             * @memberof outpost.v1.Error
             * @instance
             */
            Error.prototype.message = "";

            /**
             * Encodes the specified Error message. Does not implicitly {@link outpost.v1.Error.verify|verify} messages.
             * @function encode
             * @memberof outpost.v1.Error
             * @static
             * @param {outpost.v1.Error.$Properties} message Error message or plain object to encode
             * @param {$protobuf.Writer} [writer] Writer to encode to
             * @returns {$protobuf.Writer} Writer
             */
            Error.encode = function (message, writer, _depth) {
                if (!writer)
                    writer = $Writer.create();
                if (_depth === $undefined)
                    _depth = 0;
                if (_depth > $util.recursionLimit)
                    throw $Error("max depth exceeded");
                if (message.code != null && $Object.hasOwnProperty.call(message, "code") && message.code !== "")
                    writer.uint32(/* id 1, wireType 2 =*/10).string(message.code);
                if (message.message != null && $Object.hasOwnProperty.call(message, "message") && message.message !== "")
                    writer.uint32(/* id 2, wireType 2 =*/18).string(message.message);
                if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                    for (let i = 0; i < message.$unknowns.length; ++i)
                        writer.raw(message.$unknowns[i]);
                return writer;
            };

            /**
             * Decodes an Error message from the specified reader or buffer.
             * @function decode
             * @memberof outpost.v1.Error
             * @static
             * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
             * @param {number} [length] Message length if known beforehand
             * @returns {outpost.v1.Error & outpost.v1.Error.$Shape} Error
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            Error.decode = function (reader, length, _end, _depth, _target) {
                if (!(reader instanceof $Reader))
                    reader = $Reader.create(reader);
                if (_depth === $undefined)
                    _depth = 0;
                if (_depth > $Reader.recursionLimit)
                    throw $Error("max depth exceeded");
                let end, message, value;
                if (length === $undefined)
                    end = reader.len;
                else {
                    end = reader.pos + length;
                    if (end > reader.len)
                        throw $RangeError("index out of range");
                    length = reader.len;
                    reader.len = end;
                }
                message = _target || new $root.outpost.v1.Error();
                while (reader.pos < end) {
                    let start = reader.pos;
                    let tag = reader.tag();
                    if (tag === _end) {
                        _end = $undefined;
                        break;
                    }
                    let wireType = tag & 7;
                    switch (tag >>>= 3) {
                    case 1: {
                            if (wireType !== 2)
                                break;
                            if ((value = reader.stringVerify()).length)
                                message.code = value;
                            else
                                delete message.code;
                            continue;
                        }
                    case 2: {
                            if (wireType !== 2)
                                break;
                            if ((value = reader.stringVerify()).length)
                                message.message = value;
                            else
                                delete message.message;
                            continue;
                        }
                    }
                    reader.skipType(wireType, _depth, tag);
                    if (!reader.discardUnknown) {
                        $util.makeProp(message, "$unknowns", false);
                        (message.$unknowns || (message.$unknowns = [])).push(reader.raw(start, reader.pos));
                    }
                }
                if (length !== $undefined) {
                    if (reader.pos !== end)
                        throw $RangeError("index out of range");
                    reader.len = length;
                }
                if (_end !== $undefined)
                    throw $Error("missing end group");
                return message;
            };

            /**
             * Gets the type url for Error
             * @function getTypeUrl
             * @memberof outpost.v1.Error
             * @static
             * @param {string} [prefix] Custom type url prefix, defaults to `"type.googleapis.com"`
             * @returns {string} The type url
             */
            Error.getTypeUrl = function(prefix) {
                if (prefix === $undefined)
                    prefix = "type.googleapis.com";
                return prefix + "/outpost.v1.Error";
            };

            return Error;
        })();

        v1.RelayedBatch = (function() {

            /**
             * Properties of a RelayedBatch.
             * @typedef {Object} outpost.v1.RelayedBatch.$Properties
             * @property {Uint8Array|null} [agentKey] RelayedBatch agentKey
             * @property {string|null} [agentName] RelayedBatch agentName
             * @property {outpost.v1.Batch.$Properties|null} [batch] RelayedBatch batch
             * @property {Array.<string>|null} [path] RelayedBatch path
             * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
             */

            /**
             * Properties of a RelayedBatch.
             * @memberof outpost.v1
             * @interface IRelayedBatch
             * @augments outpost.v1.RelayedBatch.$Properties
             * @deprecated Use outpost.v1.RelayedBatch.$Properties instead.
             */

            /**
             * Shape of a RelayedBatch.
             * @typedef {outpost.v1.RelayedBatch.$Properties} outpost.v1.RelayedBatch.$Shape
             */

            /**
             * Constructs a new RelayedBatch.
             * @memberof outpost.v1
             * @classdesc Represents a RelayedBatch.
             * @constructor
             * @param {outpost.v1.RelayedBatch.$Properties=} [properties] Properties to set
             * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
             */
            const RelayedBatch = function (properties) {
                this.path = [];
                if (properties)
                    for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                        if (properties[keys[i]] != null && keys[i] !== "__proto__")
                            this[keys[i]] = properties[keys[i]];
            };

            /**
             * RelayedBatch agentKey.
             * @member {Uint8Array} agentKey
             * @memberof outpost.v1.RelayedBatch
             * @instance
             */
            RelayedBatch.prototype.agentKey = $util.newBuffer([]);

            /**
             * RelayedBatch agentName.
             * @member {string} agentName
             * @memberof outpost.v1.RelayedBatch
             * @instance
             */
            RelayedBatch.prototype.agentName = "";

            /**
             * RelayedBatch batch.
             * @member {outpost.v1.Batch.$Properties|null|undefined} batch
             * @memberof outpost.v1.RelayedBatch
             * @instance
             */
            RelayedBatch.prototype.batch = null;

            /**
             * RelayedBatch path.
             * @member {Array.<string>} path
             * @memberof outpost.v1.RelayedBatch
             * @instance
             */
            RelayedBatch.prototype.path = $util.emptyArray;

            /**
             * Encodes the specified RelayedBatch message. Does not implicitly {@link outpost.v1.RelayedBatch.verify|verify} messages.
             * @function encode
             * @memberof outpost.v1.RelayedBatch
             * @static
             * @param {outpost.v1.RelayedBatch.$Properties} message RelayedBatch message or plain object to encode
             * @param {$protobuf.Writer} [writer] Writer to encode to
             * @returns {$protobuf.Writer} Writer
             */
            RelayedBatch.encode = function (message, writer, _depth) {
                if (!writer)
                    writer = $Writer.create();
                if (_depth === $undefined)
                    _depth = 0;
                if (_depth > $util.recursionLimit)
                    throw $Error("max depth exceeded");
                if (message.agentKey != null && $Object.hasOwnProperty.call(message, "agentKey") && message.agentKey.length)
                    writer.uint32(/* id 1, wireType 2 =*/10).bytes(message.agentKey);
                if (message.agentName != null && $Object.hasOwnProperty.call(message, "agentName") && message.agentName !== "")
                    writer.uint32(/* id 2, wireType 2 =*/18).string(message.agentName);
                if (message.batch != null && $Object.hasOwnProperty.call(message, "batch"))
                    $root.outpost.v1.Batch.encode(message.batch, writer.uint32(/* id 3, wireType 2 =*/26).fork(), _depth + 1).ldelim();
                if (message.path != null && message.path.length)
                    for (let i = 0; i < message.path.length; ++i)
                        writer.uint32(/* id 4, wireType 2 =*/34).string(message.path[i]);
                if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                    for (let i = 0; i < message.$unknowns.length; ++i)
                        writer.raw(message.$unknowns[i]);
                return writer;
            };

            /**
             * Decodes a RelayedBatch message from the specified reader or buffer.
             * @function decode
             * @memberof outpost.v1.RelayedBatch
             * @static
             * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
             * @param {number} [length] Message length if known beforehand
             * @returns {outpost.v1.RelayedBatch & outpost.v1.RelayedBatch.$Shape} RelayedBatch
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            RelayedBatch.decode = function (reader, length, _end, _depth, _target) {
                if (!(reader instanceof $Reader))
                    reader = $Reader.create(reader);
                if (_depth === $undefined)
                    _depth = 0;
                if (_depth > $Reader.recursionLimit)
                    throw $Error("max depth exceeded");
                let end, message, value;
                if (length === $undefined)
                    end = reader.len;
                else {
                    end = reader.pos + length;
                    if (end > reader.len)
                        throw $RangeError("index out of range");
                    length = reader.len;
                    reader.len = end;
                }
                message = _target || new $root.outpost.v1.RelayedBatch();
                while (reader.pos < end) {
                    let start = reader.pos;
                    let tag = reader.tag();
                    if (tag === _end) {
                        _end = $undefined;
                        break;
                    }
                    let wireType = tag & 7;
                    switch (tag >>>= 3) {
                    case 1: {
                            if (wireType !== 2)
                                break;
                            if ((value = reader.bytes()).length)
                                message.agentKey = value;
                            else
                                delete message.agentKey;
                            continue;
                        }
                    case 2: {
                            if (wireType !== 2)
                                break;
                            if ((value = reader.stringVerify()).length)
                                message.agentName = value;
                            else
                                delete message.agentName;
                            continue;
                        }
                    case 3: {
                            if (wireType !== 2)
                                break;
                            message.batch = $root.outpost.v1.Batch.decode(reader, reader.size(), $undefined, _depth + 1, message.batch);
                            continue;
                        }
                    case 4: {
                            if (wireType !== 2)
                                break;
                            if (!(message.path && message.path.length))
                                message.path = [];
                            message.path.push(reader.stringVerify());
                            continue;
                        }
                    }
                    reader.skipType(wireType, _depth, tag);
                    if (!reader.discardUnknown) {
                        $util.makeProp(message, "$unknowns", false);
                        (message.$unknowns || (message.$unknowns = [])).push(reader.raw(start, reader.pos));
                    }
                }
                if (length !== $undefined) {
                    if (reader.pos !== end)
                        throw $RangeError("index out of range");
                    reader.len = length;
                }
                if (_end !== $undefined)
                    throw $Error("missing end group");
                return message;
            };

            /**
             * Gets the type url for RelayedBatch
             * @function getTypeUrl
             * @memberof outpost.v1.RelayedBatch
             * @static
             * @param {string} [prefix] Custom type url prefix, defaults to `"type.googleapis.com"`
             * @returns {string} The type url
             */
            RelayedBatch.getTypeUrl = function(prefix) {
                if (prefix === $undefined)
                    prefix = "type.googleapis.com";
                return prefix + "/outpost.v1.RelayedBatch";
            };

            return RelayedBatch;
        })();

        v1.RelayedAck = (function() {

            /**
             * Properties of a RelayedAck.
             * @typedef {Object} outpost.v1.RelayedAck.$Properties
             * @property {Uint8Array|null} [agentKey] RelayedAck agentKey
             * @property {number|null} [batchSeq] RelayedAck batchSeq
             * @property {number|null} [stored] RelayedAck stored
             * @property {number|null} [duplicates] RelayedAck duplicates
             * @property {string|null} [error] RelayedAck error
             * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
             */

            /**
             * Properties of a RelayedAck.
             * @memberof outpost.v1
             * @interface IRelayedAck
             * @augments outpost.v1.RelayedAck.$Properties
             * @deprecated Use outpost.v1.RelayedAck.$Properties instead.
             */

            /**
             * Shape of a RelayedAck.
             * @typedef {outpost.v1.RelayedAck.$Properties} outpost.v1.RelayedAck.$Shape
             */

            /**
             * Constructs a new RelayedAck.
             * @memberof outpost.v1
             * @classdesc Represents a RelayedAck.
             * @constructor
             * @param {outpost.v1.RelayedAck.$Properties=} [properties] Properties to set
             * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
             */
            const RelayedAck = function (properties) {
                if (properties)
                    for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                        if (properties[keys[i]] != null && keys[i] !== "__proto__")
                            this[keys[i]] = properties[keys[i]];
            };

            /**
             * RelayedAck agentKey.
             * @member {Uint8Array} agentKey
             * @memberof outpost.v1.RelayedAck
             * @instance
             */
            RelayedAck.prototype.agentKey = $util.newBuffer([]);

            /**
             * RelayedAck batchSeq.
             * @member {number} batchSeq
             * @memberof outpost.v1.RelayedAck
             * @instance
             */
            RelayedAck.prototype.batchSeq = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

            /**
             * RelayedAck stored.
             * @member {number} stored
             * @memberof outpost.v1.RelayedAck
             * @instance
             */
            RelayedAck.prototype.stored = 0;

            /**
             * RelayedAck duplicates.
             * @member {number} duplicates
             * @memberof outpost.v1.RelayedAck
             * @instance
             */
            RelayedAck.prototype.duplicates = 0;

            /**
             * RelayedAck error.
             * @member {string} error
             * @memberof outpost.v1.RelayedAck
             * @instance
             */
            RelayedAck.prototype.error = "";

            /**
             * Encodes the specified RelayedAck message. Does not implicitly {@link outpost.v1.RelayedAck.verify|verify} messages.
             * @function encode
             * @memberof outpost.v1.RelayedAck
             * @static
             * @param {outpost.v1.RelayedAck.$Properties} message RelayedAck message or plain object to encode
             * @param {$protobuf.Writer} [writer] Writer to encode to
             * @returns {$protobuf.Writer} Writer
             */
            RelayedAck.encode = function (message, writer, _depth) {
                if (!writer)
                    writer = $Writer.create();
                if (_depth === $undefined)
                    _depth = 0;
                if (_depth > $util.recursionLimit)
                    throw $Error("max depth exceeded");
                if (message.agentKey != null && $Object.hasOwnProperty.call(message, "agentKey") && message.agentKey.length)
                    writer.uint32(/* id 1, wireType 2 =*/10).bytes(message.agentKey);
                if (message.batchSeq != null && $Object.hasOwnProperty.call(message, "batchSeq") && (typeof message.batchSeq === "object" ? message.batchSeq.low || message.batchSeq.high : message.batchSeq !== 0))
                    writer.uint32(/* id 2, wireType 0 =*/16).uint64(message.batchSeq);
                if (message.stored != null && $Object.hasOwnProperty.call(message, "stored") && message.stored !== 0)
                    writer.uint32(/* id 3, wireType 0 =*/24).uint32(message.stored);
                if (message.duplicates != null && $Object.hasOwnProperty.call(message, "duplicates") && message.duplicates !== 0)
                    writer.uint32(/* id 4, wireType 0 =*/32).uint32(message.duplicates);
                if (message.error != null && $Object.hasOwnProperty.call(message, "error") && message.error !== "")
                    writer.uint32(/* id 5, wireType 2 =*/42).string(message.error);
                if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                    for (let i = 0; i < message.$unknowns.length; ++i)
                        writer.raw(message.$unknowns[i]);
                return writer;
            };

            /**
             * Decodes a RelayedAck message from the specified reader or buffer.
             * @function decode
             * @memberof outpost.v1.RelayedAck
             * @static
             * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
             * @param {number} [length] Message length if known beforehand
             * @returns {outpost.v1.RelayedAck & outpost.v1.RelayedAck.$Shape} RelayedAck
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            RelayedAck.decode = function (reader, length, _end, _depth, _target) {
                if (!(reader instanceof $Reader))
                    reader = $Reader.create(reader);
                if (_depth === $undefined)
                    _depth = 0;
                if (_depth > $Reader.recursionLimit)
                    throw $Error("max depth exceeded");
                let end, message, value;
                if (length === $undefined)
                    end = reader.len;
                else {
                    end = reader.pos + length;
                    if (end > reader.len)
                        throw $RangeError("index out of range");
                    length = reader.len;
                    reader.len = end;
                }
                message = _target || new $root.outpost.v1.RelayedAck();
                while (reader.pos < end) {
                    let start = reader.pos;
                    let tag = reader.tag();
                    if (tag === _end) {
                        _end = $undefined;
                        break;
                    }
                    let wireType = tag & 7;
                    switch (tag >>>= 3) {
                    case 1: {
                            if (wireType !== 2)
                                break;
                            if ((value = reader.bytes()).length)
                                message.agentKey = value;
                            else
                                delete message.agentKey;
                            continue;
                        }
                    case 2: {
                            if (wireType !== 0)
                                break;
                            if (typeof (value = reader.uint64()) === "object" ? value.low || value.high : value !== 0)
                                message.batchSeq = value;
                            else
                                delete message.batchSeq;
                            continue;
                        }
                    case 3: {
                            if (wireType !== 0)
                                break;
                            if (value = reader.uint32())
                                message.stored = value;
                            else
                                delete message.stored;
                            continue;
                        }
                    case 4: {
                            if (wireType !== 0)
                                break;
                            if (value = reader.uint32())
                                message.duplicates = value;
                            else
                                delete message.duplicates;
                            continue;
                        }
                    case 5: {
                            if (wireType !== 2)
                                break;
                            if ((value = reader.stringVerify()).length)
                                message.error = value;
                            else
                                delete message.error;
                            continue;
                        }
                    }
                    reader.skipType(wireType, _depth, tag);
                    if (!reader.discardUnknown) {
                        $util.makeProp(message, "$unknowns", false);
                        (message.$unknowns || (message.$unknowns = [])).push(reader.raw(start, reader.pos));
                    }
                }
                if (length !== $undefined) {
                    if (reader.pos !== end)
                        throw $RangeError("index out of range");
                    reader.len = length;
                }
                if (_end !== $undefined)
                    throw $Error("missing end group");
                return message;
            };

            /**
             * Gets the type url for RelayedAck
             * @function getTypeUrl
             * @memberof outpost.v1.RelayedAck
             * @static
             * @param {string} [prefix] Custom type url prefix, defaults to `"type.googleapis.com"`
             * @returns {string} The type url
             */
            RelayedAck.getTypeUrl = function(prefix) {
                if (prefix === $undefined)
                    prefix = "type.googleapis.com";
                return prefix + "/outpost.v1.RelayedAck";
            };

            return RelayedAck;
        })();

        v1.RelayedConfigPush = (function() {

            /**
             * Properties of a RelayedConfigPush.
             * @typedef {Object} outpost.v1.RelayedConfigPush.$Properties
             * @property {Uint8Array|null} [agentKey] RelayedConfigPush agentKey
             * @property {string|null} [agentName] RelayedConfigPush agentName
             * @property {outpost.v1.ConfigPush.$Properties|null} [push] RelayedConfigPush push
             * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
             */

            /**
             * Properties of a RelayedConfigPush.
             * @memberof outpost.v1
             * @interface IRelayedConfigPush
             * @augments outpost.v1.RelayedConfigPush.$Properties
             * @deprecated Use outpost.v1.RelayedConfigPush.$Properties instead.
             */

            /**
             * Shape of a RelayedConfigPush.
             * @typedef {outpost.v1.RelayedConfigPush.$Properties} outpost.v1.RelayedConfigPush.$Shape
             */

            /**
             * Constructs a new RelayedConfigPush.
             * @memberof outpost.v1
             * @classdesc Represents a RelayedConfigPush.
             * @constructor
             * @param {outpost.v1.RelayedConfigPush.$Properties=} [properties] Properties to set
             * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
             */
            const RelayedConfigPush = function (properties) {
                if (properties)
                    for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                        if (properties[keys[i]] != null && keys[i] !== "__proto__")
                            this[keys[i]] = properties[keys[i]];
            };

            /**
             * RelayedConfigPush agentKey.
             * @member {Uint8Array} agentKey
             * @memberof outpost.v1.RelayedConfigPush
             * @instance
             */
            RelayedConfigPush.prototype.agentKey = $util.newBuffer([]);

            /**
             * RelayedConfigPush agentName.
             * @member {string} agentName
             * @memberof outpost.v1.RelayedConfigPush
             * @instance
             */
            RelayedConfigPush.prototype.agentName = "";

            /**
             * RelayedConfigPush push.
             * @member {outpost.v1.ConfigPush.$Properties|null|undefined} push
             * @memberof outpost.v1.RelayedConfigPush
             * @instance
             */
            RelayedConfigPush.prototype.push = null;

            /**
             * Encodes the specified RelayedConfigPush message. Does not implicitly {@link outpost.v1.RelayedConfigPush.verify|verify} messages.
             * @function encode
             * @memberof outpost.v1.RelayedConfigPush
             * @static
             * @param {outpost.v1.RelayedConfigPush.$Properties} message RelayedConfigPush message or plain object to encode
             * @param {$protobuf.Writer} [writer] Writer to encode to
             * @returns {$protobuf.Writer} Writer
             */
            RelayedConfigPush.encode = function (message, writer, _depth) {
                if (!writer)
                    writer = $Writer.create();
                if (_depth === $undefined)
                    _depth = 0;
                if (_depth > $util.recursionLimit)
                    throw $Error("max depth exceeded");
                if (message.agentKey != null && $Object.hasOwnProperty.call(message, "agentKey") && message.agentKey.length)
                    writer.uint32(/* id 1, wireType 2 =*/10).bytes(message.agentKey);
                if (message.agentName != null && $Object.hasOwnProperty.call(message, "agentName") && message.agentName !== "")
                    writer.uint32(/* id 2, wireType 2 =*/18).string(message.agentName);
                if (message.push != null && $Object.hasOwnProperty.call(message, "push"))
                    $root.outpost.v1.ConfigPush.encode(message.push, writer.uint32(/* id 3, wireType 2 =*/26).fork(), _depth + 1).ldelim();
                if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                    for (let i = 0; i < message.$unknowns.length; ++i)
                        writer.raw(message.$unknowns[i]);
                return writer;
            };

            /**
             * Decodes a RelayedConfigPush message from the specified reader or buffer.
             * @function decode
             * @memberof outpost.v1.RelayedConfigPush
             * @static
             * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
             * @param {number} [length] Message length if known beforehand
             * @returns {outpost.v1.RelayedConfigPush & outpost.v1.RelayedConfigPush.$Shape} RelayedConfigPush
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            RelayedConfigPush.decode = function (reader, length, _end, _depth, _target) {
                if (!(reader instanceof $Reader))
                    reader = $Reader.create(reader);
                if (_depth === $undefined)
                    _depth = 0;
                if (_depth > $Reader.recursionLimit)
                    throw $Error("max depth exceeded");
                let end, message, value;
                if (length === $undefined)
                    end = reader.len;
                else {
                    end = reader.pos + length;
                    if (end > reader.len)
                        throw $RangeError("index out of range");
                    length = reader.len;
                    reader.len = end;
                }
                message = _target || new $root.outpost.v1.RelayedConfigPush();
                while (reader.pos < end) {
                    let start = reader.pos;
                    let tag = reader.tag();
                    if (tag === _end) {
                        _end = $undefined;
                        break;
                    }
                    let wireType = tag & 7;
                    switch (tag >>>= 3) {
                    case 1: {
                            if (wireType !== 2)
                                break;
                            if ((value = reader.bytes()).length)
                                message.agentKey = value;
                            else
                                delete message.agentKey;
                            continue;
                        }
                    case 2: {
                            if (wireType !== 2)
                                break;
                            if ((value = reader.stringVerify()).length)
                                message.agentName = value;
                            else
                                delete message.agentName;
                            continue;
                        }
                    case 3: {
                            if (wireType !== 2)
                                break;
                            message.push = $root.outpost.v1.ConfigPush.decode(reader, reader.size(), $undefined, _depth + 1, message.push);
                            continue;
                        }
                    }
                    reader.skipType(wireType, _depth, tag);
                    if (!reader.discardUnknown) {
                        $util.makeProp(message, "$unknowns", false);
                        (message.$unknowns || (message.$unknowns = [])).push(reader.raw(start, reader.pos));
                    }
                }
                if (length !== $undefined) {
                    if (reader.pos !== end)
                        throw $RangeError("index out of range");
                    reader.len = length;
                }
                if (_end !== $undefined)
                    throw $Error("missing end group");
                return message;
            };

            /**
             * Gets the type url for RelayedConfigPush
             * @function getTypeUrl
             * @memberof outpost.v1.RelayedConfigPush
             * @static
             * @param {string} [prefix] Custom type url prefix, defaults to `"type.googleapis.com"`
             * @returns {string} The type url
             */
            RelayedConfigPush.getTypeUrl = function(prefix) {
                if (prefix === $undefined)
                    prefix = "type.googleapis.com";
                return prefix + "/outpost.v1.RelayedConfigPush";
            };

            return RelayedConfigPush;
        })();

        v1.RelayedHeartbeat = (function() {

            /**
             * Properties of a RelayedHeartbeat.
             * @typedef {Object} outpost.v1.RelayedHeartbeat.$Properties
             * @property {Uint8Array|null} [agentKey] RelayedHeartbeat agentKey
             * @property {string|null} [agentName] RelayedHeartbeat agentName
             * @property {outpost.v1.Heartbeat.$Properties|null} [heartbeat] RelayedHeartbeat heartbeat
             * @property {Array.<string>|null} [path] RelayedHeartbeat path
             * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
             */

            /**
             * Properties of a RelayedHeartbeat.
             * @memberof outpost.v1
             * @interface IRelayedHeartbeat
             * @augments outpost.v1.RelayedHeartbeat.$Properties
             * @deprecated Use outpost.v1.RelayedHeartbeat.$Properties instead.
             */

            /**
             * Shape of a RelayedHeartbeat.
             * @typedef {outpost.v1.RelayedHeartbeat.$Properties} outpost.v1.RelayedHeartbeat.$Shape
             */

            /**
             * Constructs a new RelayedHeartbeat.
             * @memberof outpost.v1
             * @classdesc Represents a RelayedHeartbeat.
             * @constructor
             * @param {outpost.v1.RelayedHeartbeat.$Properties=} [properties] Properties to set
             * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
             */
            const RelayedHeartbeat = function (properties) {
                this.path = [];
                if (properties)
                    for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                        if (properties[keys[i]] != null && keys[i] !== "__proto__")
                            this[keys[i]] = properties[keys[i]];
            };

            /**
             * RelayedHeartbeat agentKey.
             * @member {Uint8Array} agentKey
             * @memberof outpost.v1.RelayedHeartbeat
             * @instance
             */
            RelayedHeartbeat.prototype.agentKey = $util.newBuffer([]);

            /**
             * RelayedHeartbeat agentName.
             * @member {string} agentName
             * @memberof outpost.v1.RelayedHeartbeat
             * @instance
             */
            RelayedHeartbeat.prototype.agentName = "";

            /**
             * RelayedHeartbeat heartbeat.
             * @member {outpost.v1.Heartbeat.$Properties|null|undefined} heartbeat
             * @memberof outpost.v1.RelayedHeartbeat
             * @instance
             */
            RelayedHeartbeat.prototype.heartbeat = null;

            /**
             * RelayedHeartbeat path.
             * @member {Array.<string>} path
             * @memberof outpost.v1.RelayedHeartbeat
             * @instance
             */
            RelayedHeartbeat.prototype.path = $util.emptyArray;

            /**
             * Encodes the specified RelayedHeartbeat message. Does not implicitly {@link outpost.v1.RelayedHeartbeat.verify|verify} messages.
             * @function encode
             * @memberof outpost.v1.RelayedHeartbeat
             * @static
             * @param {outpost.v1.RelayedHeartbeat.$Properties} message RelayedHeartbeat message or plain object to encode
             * @param {$protobuf.Writer} [writer] Writer to encode to
             * @returns {$protobuf.Writer} Writer
             */
            RelayedHeartbeat.encode = function (message, writer, _depth) {
                if (!writer)
                    writer = $Writer.create();
                if (_depth === $undefined)
                    _depth = 0;
                if (_depth > $util.recursionLimit)
                    throw $Error("max depth exceeded");
                if (message.agentKey != null && $Object.hasOwnProperty.call(message, "agentKey") && message.agentKey.length)
                    writer.uint32(/* id 1, wireType 2 =*/10).bytes(message.agentKey);
                if (message.agentName != null && $Object.hasOwnProperty.call(message, "agentName") && message.agentName !== "")
                    writer.uint32(/* id 2, wireType 2 =*/18).string(message.agentName);
                if (message.heartbeat != null && $Object.hasOwnProperty.call(message, "heartbeat"))
                    $root.outpost.v1.Heartbeat.encode(message.heartbeat, writer.uint32(/* id 3, wireType 2 =*/26).fork(), _depth + 1).ldelim();
                if (message.path != null && message.path.length)
                    for (let i = 0; i < message.path.length; ++i)
                        writer.uint32(/* id 4, wireType 2 =*/34).string(message.path[i]);
                if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                    for (let i = 0; i < message.$unknowns.length; ++i)
                        writer.raw(message.$unknowns[i]);
                return writer;
            };

            /**
             * Decodes a RelayedHeartbeat message from the specified reader or buffer.
             * @function decode
             * @memberof outpost.v1.RelayedHeartbeat
             * @static
             * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
             * @param {number} [length] Message length if known beforehand
             * @returns {outpost.v1.RelayedHeartbeat & outpost.v1.RelayedHeartbeat.$Shape} RelayedHeartbeat
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            RelayedHeartbeat.decode = function (reader, length, _end, _depth, _target) {
                if (!(reader instanceof $Reader))
                    reader = $Reader.create(reader);
                if (_depth === $undefined)
                    _depth = 0;
                if (_depth > $Reader.recursionLimit)
                    throw $Error("max depth exceeded");
                let end, message, value;
                if (length === $undefined)
                    end = reader.len;
                else {
                    end = reader.pos + length;
                    if (end > reader.len)
                        throw $RangeError("index out of range");
                    length = reader.len;
                    reader.len = end;
                }
                message = _target || new $root.outpost.v1.RelayedHeartbeat();
                while (reader.pos < end) {
                    let start = reader.pos;
                    let tag = reader.tag();
                    if (tag === _end) {
                        _end = $undefined;
                        break;
                    }
                    let wireType = tag & 7;
                    switch (tag >>>= 3) {
                    case 1: {
                            if (wireType !== 2)
                                break;
                            if ((value = reader.bytes()).length)
                                message.agentKey = value;
                            else
                                delete message.agentKey;
                            continue;
                        }
                    case 2: {
                            if (wireType !== 2)
                                break;
                            if ((value = reader.stringVerify()).length)
                                message.agentName = value;
                            else
                                delete message.agentName;
                            continue;
                        }
                    case 3: {
                            if (wireType !== 2)
                                break;
                            message.heartbeat = $root.outpost.v1.Heartbeat.decode(reader, reader.size(), $undefined, _depth + 1, message.heartbeat);
                            continue;
                        }
                    case 4: {
                            if (wireType !== 2)
                                break;
                            if (!(message.path && message.path.length))
                                message.path = [];
                            message.path.push(reader.stringVerify());
                            continue;
                        }
                    }
                    reader.skipType(wireType, _depth, tag);
                    if (!reader.discardUnknown) {
                        $util.makeProp(message, "$unknowns", false);
                        (message.$unknowns || (message.$unknowns = [])).push(reader.raw(start, reader.pos));
                    }
                }
                if (length !== $undefined) {
                    if (reader.pos !== end)
                        throw $RangeError("index out of range");
                    reader.len = length;
                }
                if (_end !== $undefined)
                    throw $Error("missing end group");
                return message;
            };

            /**
             * Gets the type url for RelayedHeartbeat
             * @function getTypeUrl
             * @memberof outpost.v1.RelayedHeartbeat
             * @static
             * @param {string} [prefix] Custom type url prefix, defaults to `"type.googleapis.com"`
             * @returns {string} The type url
             */
            RelayedHeartbeat.getTypeUrl = function(prefix) {
                if (prefix === $undefined)
                    prefix = "type.googleapis.com";
                return prefix + "/outpost.v1.RelayedHeartbeat";
            };

            return RelayedHeartbeat;
        })();

        return v1;
    })();

    return outpost;
})();

export {
  $root as default
};
