import * as $protobuf from "protobufjs";

/** Namespace outpost. */
export namespace outpost {

    /** Namespace v1. */
    namespace v1 {

        /**
         * Properties of a Frame.
         * @deprecated Use outpost.v1.Frame.$Properties instead.
         */
        interface IFrame extends outpost.v1.Frame.$Properties {
        }

        /** Represents a Frame. */
        class Frame {

            /**
             * Constructs a new Frame.
             * @param [properties] Properties to set
             */
            constructor(properties?: outpost.v1.Frame.$Properties);

            /** Unknown fields preserved while decoding when enabled */
            $unknowns?: Uint8Array[];

            /** Frame challenge. */
            challenge?: (outpost.v1.Challenge.$Properties|null);

            /** Frame hello. */
            hello?: (outpost.v1.Hello.$Properties|null);

            /** Frame welcome. */
            welcome?: (outpost.v1.Welcome.$Properties|null);

            /** Frame batch. */
            batch?: (outpost.v1.Batch.$Properties|null);

            /** Frame ack. */
            ack?: (outpost.v1.Ack.$Properties|null);

            /** Frame heartbeat. */
            heartbeat?: (outpost.v1.Heartbeat.$Properties|null);

            /** Frame configPush. */
            configPush?: (outpost.v1.ConfigPush.$Properties|null);

            /** Frame error. */
            error?: (outpost.v1.Error.$Properties|null);

            /** Frame relayedBatch. */
            relayedBatch?: (outpost.v1.RelayedBatch.$Properties|null);

            /** Frame relayedAck. */
            relayedAck?: (outpost.v1.RelayedAck.$Properties|null);

            /** Frame relayedConfigPush. */
            relayedConfigPush?: (outpost.v1.RelayedConfigPush.$Properties|null);

            /** Frame relayedHeartbeat. */
            relayedHeartbeat?: (outpost.v1.RelayedHeartbeat.$Properties|null);

            /** Frame body. */
            body?: ("challenge"|"hello"|"welcome"|"batch"|"ack"|"heartbeat"|"configPush"|"error"|"relayedBatch"|"relayedAck"|"relayedConfigPush"|"relayedHeartbeat");

            /**
             * Encodes the specified Frame message. Does not implicitly {@link outpost.v1.Frame.verify|verify} messages.
             * @param message Frame message or plain object to encode
             * @param [writer] Writer to encode to
             * @returns Writer
             */
            static encode(message: outpost.v1.Frame.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

            /**
             * Decodes a Frame message from the specified reader or buffer.
             * @param reader Reader or buffer to decode from
             * @param [length] Message length if known beforehand
             * @returns {outpost.v1.Frame & outpost.v1.Frame.$Shape} Frame
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): outpost.v1.Frame & outpost.v1.Frame.$Shape;

            /**
             * Gets the type url for Frame
             * @param [prefix] Custom type url prefix, defaults to `"type.googleapis.com"`
             * @returns The type url
             */
            static getTypeUrl(prefix?: string): string;
        }

        namespace Frame {

            /** Properties of a Frame. */
            interface $Properties {

                /** Frame challenge */
                challenge?: (outpost.v1.Challenge.$Properties|null);

                /** Frame hello */
                hello?: (outpost.v1.Hello.$Properties|null);

                /** Frame welcome */
                welcome?: (outpost.v1.Welcome.$Properties|null);

                /** Frame batch */
                batch?: (outpost.v1.Batch.$Properties|null);

                /** Frame ack */
                ack?: (outpost.v1.Ack.$Properties|null);

                /** Frame heartbeat */
                heartbeat?: (outpost.v1.Heartbeat.$Properties|null);

                /** Frame configPush */
                configPush?: (outpost.v1.ConfigPush.$Properties|null);

                /** Frame error */
                error?: (outpost.v1.Error.$Properties|null);

                /** Frame relayedBatch */
                relayedBatch?: (outpost.v1.RelayedBatch.$Properties|null);

                /** Frame relayedAck */
                relayedAck?: (outpost.v1.RelayedAck.$Properties|null);

                /** Frame relayedConfigPush */
                relayedConfigPush?: (outpost.v1.RelayedConfigPush.$Properties|null);

                /** Frame relayedHeartbeat */
                relayedHeartbeat?: (outpost.v1.RelayedHeartbeat.$Properties|null);

                /** Frame body */
                body?: ("challenge"|"hello"|"welcome"|"batch"|"ack"|"heartbeat"|"configPush"|"error"|"relayedBatch"|"relayedAck"|"relayedConfigPush"|"relayedHeartbeat");

                /** Unknown fields preserved while decoding when enabled */
                $unknowns?: Uint8Array[];
            }

            /** Narrowed shape of a Frame. */
            type $Shape = {
              challenge?: outpost.v1.Challenge.$Shape|null;
              hello?: outpost.v1.Hello.$Shape|null;
              welcome?: outpost.v1.Welcome.$Shape|null;
              batch?: outpost.v1.Batch.$Shape|null;
              ack?: outpost.v1.Ack.$Shape|null;
              heartbeat?: outpost.v1.Heartbeat.$Shape|null;
              configPush?: outpost.v1.ConfigPush.$Shape|null;
              error?: outpost.v1.Error.$Shape|null;
              relayedBatch?: outpost.v1.RelayedBatch.$Shape|null;
              relayedAck?: outpost.v1.RelayedAck.$Shape|null;
              relayedConfigPush?: outpost.v1.RelayedConfigPush.$Shape|null;
              relayedHeartbeat?: outpost.v1.RelayedHeartbeat.$Shape|null;
              $unknowns?: Uint8Array[];
            } & (
              ({ body?: undefined; challenge?: null; hello?: null; welcome?: null; batch?: null; ack?: null; heartbeat?: null; configPush?: null; error?: null; relayedBatch?: null; relayedAck?: null; relayedConfigPush?: null; relayedHeartbeat?: null }|{ body?: "challenge"; challenge: outpost.v1.Challenge.$Shape; hello?: null; welcome?: null; batch?: null; ack?: null; heartbeat?: null; configPush?: null; error?: null; relayedBatch?: null; relayedAck?: null; relayedConfigPush?: null; relayedHeartbeat?: null }|{ body?: "hello"; challenge?: null; hello: outpost.v1.Hello.$Shape; welcome?: null; batch?: null; ack?: null; heartbeat?: null; configPush?: null; error?: null; relayedBatch?: null; relayedAck?: null; relayedConfigPush?: null; relayedHeartbeat?: null }|{ body?: "welcome"; challenge?: null; hello?: null; welcome: outpost.v1.Welcome.$Shape; batch?: null; ack?: null; heartbeat?: null; configPush?: null; error?: null; relayedBatch?: null; relayedAck?: null; relayedConfigPush?: null; relayedHeartbeat?: null }|{ body?: "batch"; challenge?: null; hello?: null; welcome?: null; batch: outpost.v1.Batch.$Shape; ack?: null; heartbeat?: null; configPush?: null; error?: null; relayedBatch?: null; relayedAck?: null; relayedConfigPush?: null; relayedHeartbeat?: null }|{ body?: "ack"; challenge?: null; hello?: null; welcome?: null; batch?: null; ack: outpost.v1.Ack.$Shape; heartbeat?: null; configPush?: null; error?: null; relayedBatch?: null; relayedAck?: null; relayedConfigPush?: null; relayedHeartbeat?: null }|{ body?: "heartbeat"; challenge?: null; hello?: null; welcome?: null; batch?: null; ack?: null; heartbeat: outpost.v1.Heartbeat.$Shape; configPush?: null; error?: null; relayedBatch?: null; relayedAck?: null; relayedConfigPush?: null; relayedHeartbeat?: null }|{ body?: "configPush"; challenge?: null; hello?: null; welcome?: null; batch?: null; ack?: null; heartbeat?: null; configPush: outpost.v1.ConfigPush.$Shape; error?: null; relayedBatch?: null; relayedAck?: null; relayedConfigPush?: null; relayedHeartbeat?: null }|{ body?: "error"; challenge?: null; hello?: null; welcome?: null; batch?: null; ack?: null; heartbeat?: null; configPush?: null; error: outpost.v1.Error.$Shape; relayedBatch?: null; relayedAck?: null; relayedConfigPush?: null; relayedHeartbeat?: null }|{ body?: "relayedBatch"; challenge?: null; hello?: null; welcome?: null; batch?: null; ack?: null; heartbeat?: null; configPush?: null; error?: null; relayedBatch: outpost.v1.RelayedBatch.$Shape; relayedAck?: null; relayedConfigPush?: null; relayedHeartbeat?: null }|{ body?: "relayedAck"; challenge?: null; hello?: null; welcome?: null; batch?: null; ack?: null; heartbeat?: null; configPush?: null; error?: null; relayedBatch?: null; relayedAck: outpost.v1.RelayedAck.$Shape; relayedConfigPush?: null; relayedHeartbeat?: null }|{ body?: "relayedConfigPush"; challenge?: null; hello?: null; welcome?: null; batch?: null; ack?: null; heartbeat?: null; configPush?: null; error?: null; relayedBatch?: null; relayedAck?: null; relayedConfigPush: outpost.v1.RelayedConfigPush.$Shape; relayedHeartbeat?: null }|{ body?: "relayedHeartbeat"; challenge?: null; hello?: null; welcome?: null; batch?: null; ack?: null; heartbeat?: null; configPush?: null; error?: null; relayedBatch?: null; relayedAck?: null; relayedConfigPush?: null; relayedHeartbeat: outpost.v1.RelayedHeartbeat.$Shape })
            );
        }

        /**
         * Properties of a Challenge.
         * @deprecated Use outpost.v1.Challenge.$Properties instead.
         */
        interface IChallenge extends outpost.v1.Challenge.$Properties {
        }

        /** Represents a Challenge. */
        class Challenge {

            /**
             * Constructs a new Challenge.
             * @param [properties] Properties to set
             */
            constructor(properties?: outpost.v1.Challenge.$Properties);

            /** Unknown fields preserved while decoding when enabled */
            $unknowns?: Uint8Array[];

            /** Challenge version. */
            version: number;

            /** Challenge collectorKey. */
            collectorKey: Uint8Array;

            /** Challenge nonce. */
            nonce: Uint8Array;

            /** Challenge timeMs. */
            timeMs: number;

            /** Challenge endorsement. */
            endorsement?: (outpost.v1.KeyEndorsement.$Properties|null);

            /**
             * Encodes the specified Challenge message. Does not implicitly {@link outpost.v1.Challenge.verify|verify} messages.
             * @param message Challenge message or plain object to encode
             * @param [writer] Writer to encode to
             * @returns Writer
             */
            static encode(message: outpost.v1.Challenge.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

            /**
             * Decodes a Challenge message from the specified reader or buffer.
             * @param reader Reader or buffer to decode from
             * @param [length] Message length if known beforehand
             * @returns {outpost.v1.Challenge & outpost.v1.Challenge.$Shape} Challenge
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): outpost.v1.Challenge & outpost.v1.Challenge.$Shape;

            /**
             * Gets the type url for Challenge
             * @param [prefix] Custom type url prefix, defaults to `"type.googleapis.com"`
             * @returns The type url
             */
            static getTypeUrl(prefix?: string): string;
        }

        namespace Challenge {

            /** Properties of a Challenge. */
            interface $Properties {

                /** Challenge version */
                version?: (number|null);

                /** Challenge collectorKey */
                collectorKey?: (Uint8Array|null);

                /** Challenge nonce */
                nonce?: (Uint8Array|null);

                /** Challenge timeMs */
                timeMs?: (number|null);

                /** Challenge endorsement */
                endorsement?: (outpost.v1.KeyEndorsement.$Properties|null);

                /** Unknown fields preserved while decoding when enabled */
                $unknowns?: Uint8Array[];
            }

            /** Shape of a Challenge. */
            type $Shape = outpost.v1.Challenge.$Properties;
        }

        /**
         * Properties of a KeyEndorsement.
         * @deprecated Use outpost.v1.KeyEndorsement.$Properties instead.
         */
        interface IKeyEndorsement extends outpost.v1.KeyEndorsement.$Properties {
        }

        /** Represents a KeyEndorsement. */
        class KeyEndorsement {

            /**
             * Constructs a new KeyEndorsement.
             * @param [properties] Properties to set
             */
            constructor(properties?: outpost.v1.KeyEndorsement.$Properties);

            /** Unknown fields preserved while decoding when enabled */
            $unknowns?: Uint8Array[];

            /** KeyEndorsement oldKey. */
            oldKey: Uint8Array;

            /** KeyEndorsement signature. */
            signature: Uint8Array;

            /** KeyEndorsement notAfterMs. */
            notAfterMs: number;

            /**
             * Encodes the specified KeyEndorsement message. Does not implicitly {@link outpost.v1.KeyEndorsement.verify|verify} messages.
             * @param message KeyEndorsement message or plain object to encode
             * @param [writer] Writer to encode to
             * @returns Writer
             */
            static encode(message: outpost.v1.KeyEndorsement.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

            /**
             * Decodes a KeyEndorsement message from the specified reader or buffer.
             * @param reader Reader or buffer to decode from
             * @param [length] Message length if known beforehand
             * @returns {outpost.v1.KeyEndorsement & outpost.v1.KeyEndorsement.$Shape} KeyEndorsement
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): outpost.v1.KeyEndorsement & outpost.v1.KeyEndorsement.$Shape;

            /**
             * Gets the type url for KeyEndorsement
             * @param [prefix] Custom type url prefix, defaults to `"type.googleapis.com"`
             * @returns The type url
             */
            static getTypeUrl(prefix?: string): string;
        }

        namespace KeyEndorsement {

            /** Properties of a KeyEndorsement. */
            interface $Properties {

                /** KeyEndorsement oldKey */
                oldKey?: (Uint8Array|null);

                /** KeyEndorsement signature */
                signature?: (Uint8Array|null);

                /** KeyEndorsement notAfterMs */
                notAfterMs?: (number|null);

                /** Unknown fields preserved while decoding when enabled */
                $unknowns?: Uint8Array[];
            }

            /** Shape of a KeyEndorsement. */
            type $Shape = outpost.v1.KeyEndorsement.$Properties;
        }

        /**
         * Properties of a Hello.
         * @deprecated Use outpost.v1.Hello.$Properties instead.
         */
        interface IHello extends outpost.v1.Hello.$Properties {
        }

        /** Represents a Hello. */
        class Hello {

            /**
             * Constructs a new Hello.
             * @param [properties] Properties to set
             */
            constructor(properties?: outpost.v1.Hello.$Properties);

            /** Unknown fields preserved while decoding when enabled */
            $unknowns?: Uint8Array[];

            /** Hello version. */
            version: number;

            /** Hello agentName. */
            agentName: string;

            /** Hello agentKey. */
            agentKey: Uint8Array;

            /** Hello nonce. */
            nonce: Uint8Array;

            /** Hello timeMs. */
            timeMs: number;

            /** Hello software. */
            software: string;

            /** Hello configHash. */
            configHash: string;

            /** Hello enrollToken. */
            enrollToken: string;

            /** Hello signature. */
            signature: Uint8Array;

            /** Hello rotateToKey. */
            rotateToKey: Uint8Array;

            /** Hello rotateSignatureOld. */
            rotateSignatureOld: Uint8Array;

            /** Hello rotateSignatureNew. */
            rotateSignatureNew: Uint8Array;

            /** Hello heartbeatIntervalMs. */
            heartbeatIntervalMs: number;

            /** Hello configVersion. */
            configVersion: number;

            /**
             * Encodes the specified Hello message. Does not implicitly {@link outpost.v1.Hello.verify|verify} messages.
             * @param message Hello message or plain object to encode
             * @param [writer] Writer to encode to
             * @returns Writer
             */
            static encode(message: outpost.v1.Hello.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

            /**
             * Decodes a Hello message from the specified reader or buffer.
             * @param reader Reader or buffer to decode from
             * @param [length] Message length if known beforehand
             * @returns {outpost.v1.Hello & outpost.v1.Hello.$Shape} Hello
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): outpost.v1.Hello & outpost.v1.Hello.$Shape;

            /**
             * Gets the type url for Hello
             * @param [prefix] Custom type url prefix, defaults to `"type.googleapis.com"`
             * @returns The type url
             */
            static getTypeUrl(prefix?: string): string;
        }

        namespace Hello {

            /** Properties of a Hello. */
            interface $Properties {

                /** Hello version */
                version?: (number|null);

                /** Hello agentName */
                agentName?: (string|null);

                /** Hello agentKey */
                agentKey?: (Uint8Array|null);

                /** Hello nonce */
                nonce?: (Uint8Array|null);

                /** Hello timeMs */
                timeMs?: (number|null);

                /** Hello software */
                software?: (string|null);

                /** Hello configHash */
                configHash?: (string|null);

                /** Hello enrollToken */
                enrollToken?: (string|null);

                /** Hello signature */
                signature?: (Uint8Array|null);

                /** Hello rotateToKey */
                rotateToKey?: (Uint8Array|null);

                /** Hello rotateSignatureOld */
                rotateSignatureOld?: (Uint8Array|null);

                /** Hello rotateSignatureNew */
                rotateSignatureNew?: (Uint8Array|null);

                /** Hello heartbeatIntervalMs */
                heartbeatIntervalMs?: (number|null);

                /** Hello configVersion */
                configVersion?: (number|null);

                /** Unknown fields preserved while decoding when enabled */
                $unknowns?: Uint8Array[];
            }

            /** Shape of a Hello. */
            type $Shape = outpost.v1.Hello.$Properties;
        }

        /**
         * Properties of a Welcome.
         * @deprecated Use outpost.v1.Welcome.$Properties instead.
         */
        interface IWelcome extends outpost.v1.Welcome.$Properties {
        }

        /** Represents a Welcome. */
        class Welcome {

            /**
             * Constructs a new Welcome.
             * @param [properties] Properties to set
             */
            constructor(properties?: outpost.v1.Welcome.$Properties);

            /** Unknown fields preserved while decoding when enabled */
            $unknowns?: Uint8Array[];

            /** Welcome signature. */
            signature: Uint8Array;

            /** Welcome timeMs. */
            timeMs: number;

            /** Welcome lastBatchSeq. */
            lastBatchSeq: number;

            /** Welcome maxResultId. */
            maxResultId: number;

            /** Welcome agentStatus. */
            agentStatus: string;

            /** Welcome keyRotated. */
            keyRotated: boolean;

            /**
             * Encodes the specified Welcome message. Does not implicitly {@link outpost.v1.Welcome.verify|verify} messages.
             * @param message Welcome message or plain object to encode
             * @param [writer] Writer to encode to
             * @returns Writer
             */
            static encode(message: outpost.v1.Welcome.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

            /**
             * Decodes a Welcome message from the specified reader or buffer.
             * @param reader Reader or buffer to decode from
             * @param [length] Message length if known beforehand
             * @returns {outpost.v1.Welcome & outpost.v1.Welcome.$Shape} Welcome
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): outpost.v1.Welcome & outpost.v1.Welcome.$Shape;

            /**
             * Gets the type url for Welcome
             * @param [prefix] Custom type url prefix, defaults to `"type.googleapis.com"`
             * @returns The type url
             */
            static getTypeUrl(prefix?: string): string;
        }

        namespace Welcome {

            /** Properties of a Welcome. */
            interface $Properties {

                /** Welcome signature */
                signature?: (Uint8Array|null);

                /** Welcome timeMs */
                timeMs?: (number|null);

                /** Welcome lastBatchSeq */
                lastBatchSeq?: (number|null);

                /** Welcome maxResultId */
                maxResultId?: (number|null);

                /** Welcome agentStatus */
                agentStatus?: (string|null);

                /** Welcome keyRotated */
                keyRotated?: (boolean|null);

                /** Unknown fields preserved while decoding when enabled */
                $unknowns?: Uint8Array[];
            }

            /** Shape of a Welcome. */
            type $Shape = outpost.v1.Welcome.$Properties;
        }

        /**
         * Properties of a Batch.
         * @deprecated Use outpost.v1.Batch.$Properties instead.
         */
        interface IBatch extends outpost.v1.Batch.$Properties {
        }

        /** Represents a Batch. */
        class Batch {

            /**
             * Constructs a new Batch.
             * @param [properties] Properties to set
             */
            constructor(properties?: outpost.v1.Batch.$Properties);

            /** Unknown fields preserved while decoding when enabled */
            $unknowns?: Uint8Array[];

            /** Batch payload. */
            payload: Uint8Array;

            /** Batch signature. */
            signature: Uint8Array;

            /**
             * Encodes the specified Batch message. Does not implicitly {@link outpost.v1.Batch.verify|verify} messages.
             * @param message Batch message or plain object to encode
             * @param [writer] Writer to encode to
             * @returns Writer
             */
            static encode(message: outpost.v1.Batch.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

            /**
             * Decodes a Batch message from the specified reader or buffer.
             * @param reader Reader or buffer to decode from
             * @param [length] Message length if known beforehand
             * @returns {outpost.v1.Batch & outpost.v1.Batch.$Shape} Batch
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): outpost.v1.Batch & outpost.v1.Batch.$Shape;

            /**
             * Gets the type url for Batch
             * @param [prefix] Custom type url prefix, defaults to `"type.googleapis.com"`
             * @returns The type url
             */
            static getTypeUrl(prefix?: string): string;
        }

        namespace Batch {

            /** Properties of a Batch. */
            interface $Properties {

                /** Batch payload */
                payload?: (Uint8Array|null);

                /** Batch signature */
                signature?: (Uint8Array|null);

                /** Unknown fields preserved while decoding when enabled */
                $unknowns?: Uint8Array[];
            }

            /** Shape of a Batch. */
            type $Shape = outpost.v1.Batch.$Properties;
        }

        /**
         * Properties of a BatchBody.
         * @deprecated Use outpost.v1.BatchBody.$Properties instead.
         */
        interface IBatchBody extends outpost.v1.BatchBody.$Properties {
        }

        /** Represents a BatchBody. */
        class BatchBody {

            /**
             * Constructs a new BatchBody.
             * @param [properties] Properties to set
             */
            constructor(properties?: outpost.v1.BatchBody.$Properties);

            /** Unknown fields preserved while decoding when enabled */
            $unknowns?: Uint8Array[];

            /** BatchBody agentKey. */
            agentKey: Uint8Array;

            /** BatchBody batchSeq. */
            batchSeq: number;

            /** BatchBody results. */
            results: outpost.v1.Result.$Properties[];

            /** BatchBody gaps. */
            gaps: outpost.v1.Gap.$Properties[];

            /** BatchBody createdMs. */
            createdMs: number;

            /** BatchBody clockOffsetMs. */
            clockOffsetMs: number;

            /**
             * Encodes the specified BatchBody message. Does not implicitly {@link outpost.v1.BatchBody.verify|verify} messages.
             * @param message BatchBody message or plain object to encode
             * @param [writer] Writer to encode to
             * @returns Writer
             */
            static encode(message: outpost.v1.BatchBody.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

            /**
             * Decodes a BatchBody message from the specified reader or buffer.
             * @param reader Reader or buffer to decode from
             * @param [length] Message length if known beforehand
             * @returns {outpost.v1.BatchBody & outpost.v1.BatchBody.$Shape} BatchBody
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): outpost.v1.BatchBody & outpost.v1.BatchBody.$Shape;

            /**
             * Gets the type url for BatchBody
             * @param [prefix] Custom type url prefix, defaults to `"type.googleapis.com"`
             * @returns The type url
             */
            static getTypeUrl(prefix?: string): string;
        }

        namespace BatchBody {

            /** Properties of a BatchBody. */
            interface $Properties {

                /** BatchBody agentKey */
                agentKey?: (Uint8Array|null);

                /** BatchBody batchSeq */
                batchSeq?: (number|null);

                /** BatchBody results */
                results?: (outpost.v1.Result.$Properties[]|null);

                /** BatchBody gaps */
                gaps?: (outpost.v1.Gap.$Properties[]|null);

                /** BatchBody createdMs */
                createdMs?: (number|null);

                /** BatchBody clockOffsetMs */
                clockOffsetMs?: (number|null);

                /** Unknown fields preserved while decoding when enabled */
                $unknowns?: Uint8Array[];
            }

            /** Shape of a BatchBody. */
            type $Shape = outpost.v1.BatchBody.$Properties;
        }

        /** Status enum. */
        enum Status {

            /** OK value */
            OK = 0,

            /** WARNING value */
            WARNING = 1,

            /** CRITICAL value */
            CRITICAL = 2,

            /** UNKNOWN value */
            UNKNOWN = 3
        }

        /**
         * Properties of a Result.
         * @deprecated Use outpost.v1.Result.$Properties instead.
         */
        interface IResult extends outpost.v1.Result.$Properties {
        }

        /** Represents a Result. */
        class Result {

            /**
             * Constructs a new Result.
             * @param [properties] Properties to set
             */
            constructor(properties?: outpost.v1.Result.$Properties);

            /** Unknown fields preserved while decoding when enabled */
            $unknowns?: Uint8Array[];

            /** Result resultId. */
            resultId: number;

            /** Result checkId. */
            checkId: string;

            /** Result startedAtMs. */
            startedAtMs: number;

            /** Result durationUs. */
            durationUs: number;

            /** Result status. */
            status: outpost.v1.Status;

            /** Result observation. */
            observation: string;

            /** Result message. */
            message: string;

            /** Result metrics. */
            metrics: { [k: string]: number };

            /** Result transcript. */
            transcript: Uint8Array;

            /** Result checkConfigHash. */
            checkConfigHash: string;

            /** Result intervalMs. */
            intervalMs: number;

            /**
             * Encodes the specified Result message. Does not implicitly {@link outpost.v1.Result.verify|verify} messages.
             * @param message Result message or plain object to encode
             * @param [writer] Writer to encode to
             * @returns Writer
             */
            static encode(message: outpost.v1.Result.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

            /**
             * Decodes a Result message from the specified reader or buffer.
             * @param reader Reader or buffer to decode from
             * @param [length] Message length if known beforehand
             * @returns {outpost.v1.Result & outpost.v1.Result.$Shape} Result
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): outpost.v1.Result & outpost.v1.Result.$Shape;

            /**
             * Gets the type url for Result
             * @param [prefix] Custom type url prefix, defaults to `"type.googleapis.com"`
             * @returns The type url
             */
            static getTypeUrl(prefix?: string): string;
        }

        namespace Result {

            /** Properties of a Result. */
            interface $Properties {

                /** Result resultId */
                resultId?: (number|null);

                /** Result checkId */
                checkId?: (string|null);

                /** Result startedAtMs */
                startedAtMs?: (number|null);

                /** Result durationUs */
                durationUs?: (number|null);

                /** Result status */
                status?: (outpost.v1.Status|null);

                /** Result observation */
                observation?: (string|null);

                /** Result message */
                message?: (string|null);

                /** Result metrics */
                metrics?: ({ [k: string]: number }|null);

                /** Result transcript */
                transcript?: (Uint8Array|null);

                /** Result checkConfigHash */
                checkConfigHash?: (string|null);

                /** Result intervalMs */
                intervalMs?: (number|null);

                /** Unknown fields preserved while decoding when enabled */
                $unknowns?: Uint8Array[];
            }

            /** Shape of a Result. */
            type $Shape = outpost.v1.Result.$Properties;
        }

        /**
         * Properties of a Gap.
         * @deprecated Use outpost.v1.Gap.$Properties instead.
         */
        interface IGap extends outpost.v1.Gap.$Properties {
        }

        /** Represents a Gap. */
        class Gap {

            /**
             * Constructs a new Gap.
             * @param [properties] Properties to set
             */
            constructor(properties?: outpost.v1.Gap.$Properties);

            /** Unknown fields preserved while decoding when enabled */
            $unknowns?: Uint8Array[];

            /** Gap fromResultId. */
            fromResultId: number;

            /** Gap toResultId. */
            toResultId: number;

            /** Gap count. */
            count: number;

            /** Gap reason. */
            reason: string;

            /** Gap firstMs. */
            firstMs: number;

            /** Gap lastMs. */
            lastMs: number;

            /** Gap perCheck. */
            perCheck: { [k: string]: number };

            /**
             * Encodes the specified Gap message. Does not implicitly {@link outpost.v1.Gap.verify|verify} messages.
             * @param message Gap message or plain object to encode
             * @param [writer] Writer to encode to
             * @returns Writer
             */
            static encode(message: outpost.v1.Gap.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

            /**
             * Decodes a Gap message from the specified reader or buffer.
             * @param reader Reader or buffer to decode from
             * @param [length] Message length if known beforehand
             * @returns {outpost.v1.Gap & outpost.v1.Gap.$Shape} Gap
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): outpost.v1.Gap & outpost.v1.Gap.$Shape;

            /**
             * Gets the type url for Gap
             * @param [prefix] Custom type url prefix, defaults to `"type.googleapis.com"`
             * @returns The type url
             */
            static getTypeUrl(prefix?: string): string;
        }

        namespace Gap {

            /** Properties of a Gap. */
            interface $Properties {

                /** Gap fromResultId */
                fromResultId?: (number|null);

                /** Gap toResultId */
                toResultId?: (number|null);

                /** Gap count */
                count?: (number|null);

                /** Gap reason */
                reason?: (string|null);

                /** Gap firstMs */
                firstMs?: (number|null);

                /** Gap lastMs */
                lastMs?: (number|null);

                /** Gap perCheck */
                perCheck?: ({ [k: string]: number }|null);

                /** Unknown fields preserved while decoding when enabled */
                $unknowns?: Uint8Array[];
            }

            /** Shape of a Gap. */
            type $Shape = outpost.v1.Gap.$Properties;
        }

        /**
         * Properties of an Ack.
         * @deprecated Use outpost.v1.Ack.$Properties instead.
         */
        interface IAck extends outpost.v1.Ack.$Properties {
        }

        /** Represents an Ack. */
        class Ack {

            /**
             * Constructs a new Ack.
             * @param [properties] Properties to set
             */
            constructor(properties?: outpost.v1.Ack.$Properties);

            /** Unknown fields preserved while decoding when enabled */
            $unknowns?: Uint8Array[];

            /** Ack batchSeq. */
            batchSeq: number;

            /** Ack stored. */
            stored: number;

            /** Ack duplicates. */
            duplicates: number;

            /**
             * Encodes the specified Ack message. Does not implicitly {@link outpost.v1.Ack.verify|verify} messages.
             * @param message Ack message or plain object to encode
             * @param [writer] Writer to encode to
             * @returns Writer
             */
            static encode(message: outpost.v1.Ack.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

            /**
             * Decodes an Ack message from the specified reader or buffer.
             * @param reader Reader or buffer to decode from
             * @param [length] Message length if known beforehand
             * @returns {outpost.v1.Ack & outpost.v1.Ack.$Shape} Ack
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): outpost.v1.Ack & outpost.v1.Ack.$Shape;

            /**
             * Gets the type url for Ack
             * @param [prefix] Custom type url prefix, defaults to `"type.googleapis.com"`
             * @returns The type url
             */
            static getTypeUrl(prefix?: string): string;
        }

        namespace Ack {

            /** Properties of an Ack. */
            interface $Properties {

                /** Ack batchSeq */
                batchSeq?: (number|null);

                /** Ack stored */
                stored?: (number|null);

                /** Ack duplicates */
                duplicates?: (number|null);

                /** Unknown fields preserved while decoding when enabled */
                $unknowns?: Uint8Array[];
            }

            /** Shape of an Ack. */
            type $Shape = outpost.v1.Ack.$Properties;
        }

        /**
         * Properties of a Heartbeat.
         * @deprecated Use outpost.v1.Heartbeat.$Properties instead.
         */
        interface IHeartbeat extends outpost.v1.Heartbeat.$Properties {
        }

        /** Represents a Heartbeat. */
        class Heartbeat {

            /**
             * Constructs a new Heartbeat.
             * @param [properties] Properties to set
             */
            constructor(properties?: outpost.v1.Heartbeat.$Properties);

            /** Unknown fields preserved while decoding when enabled */
            $unknowns?: Uint8Array[];

            /** Heartbeat timeMs. */
            timeMs: number;

            /** Heartbeat backlog. */
            backlog: number;

            /** Heartbeat oldestUnsentMs. */
            oldestUnsentMs: number;

            /** Heartbeat dropped. */
            dropped: number;

            /** Heartbeat configHash. */
            configHash: string;

            /** Heartbeat configVersion. */
            configVersion: number;

            /** Heartbeat configError. */
            configError: string;

            /** Heartbeat relayAgents. */
            relayAgents: number;

            /** Heartbeat relayBacklog. */
            relayBacklog: number;

            /**
             * Encodes the specified Heartbeat message. Does not implicitly {@link outpost.v1.Heartbeat.verify|verify} messages.
             * @param message Heartbeat message or plain object to encode
             * @param [writer] Writer to encode to
             * @returns Writer
             */
            static encode(message: outpost.v1.Heartbeat.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

            /**
             * Decodes a Heartbeat message from the specified reader or buffer.
             * @param reader Reader or buffer to decode from
             * @param [length] Message length if known beforehand
             * @returns {outpost.v1.Heartbeat & outpost.v1.Heartbeat.$Shape} Heartbeat
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): outpost.v1.Heartbeat & outpost.v1.Heartbeat.$Shape;

            /**
             * Gets the type url for Heartbeat
             * @param [prefix] Custom type url prefix, defaults to `"type.googleapis.com"`
             * @returns The type url
             */
            static getTypeUrl(prefix?: string): string;
        }

        namespace Heartbeat {

            /** Properties of a Heartbeat. */
            interface $Properties {

                /** Heartbeat timeMs */
                timeMs?: (number|null);

                /** Heartbeat backlog */
                backlog?: (number|null);

                /** Heartbeat oldestUnsentMs */
                oldestUnsentMs?: (number|null);

                /** Heartbeat dropped */
                dropped?: (number|null);

                /** Heartbeat configHash */
                configHash?: (string|null);

                /** Heartbeat configVersion */
                configVersion?: (number|null);

                /** Heartbeat configError */
                configError?: (string|null);

                /** Heartbeat relayAgents */
                relayAgents?: (number|null);

                /** Heartbeat relayBacklog */
                relayBacklog?: (number|null);

                /** Unknown fields preserved while decoding when enabled */
                $unknowns?: Uint8Array[];
            }

            /** Shape of a Heartbeat. */
            type $Shape = outpost.v1.Heartbeat.$Properties;
        }

        /**
         * Properties of a ConfigPush.
         * @deprecated Use outpost.v1.ConfigPush.$Properties instead.
         */
        interface IConfigPush extends outpost.v1.ConfigPush.$Properties {
        }

        /** Represents a ConfigPush. */
        class ConfigPush {

            /**
             * Constructs a new ConfigPush.
             * @param [properties] Properties to set
             */
            constructor(properties?: outpost.v1.ConfigPush.$Properties);

            /** Unknown fields preserved while decoding when enabled */
            $unknowns?: Uint8Array[];

            /** ConfigPush version. */
            version: number;

            /** ConfigPush config. */
            config: Uint8Array;

            /** ConfigPush signature. */
            signature: Uint8Array;

            /**
             * Encodes the specified ConfigPush message. Does not implicitly {@link outpost.v1.ConfigPush.verify|verify} messages.
             * @param message ConfigPush message or plain object to encode
             * @param [writer] Writer to encode to
             * @returns Writer
             */
            static encode(message: outpost.v1.ConfigPush.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

            /**
             * Decodes a ConfigPush message from the specified reader or buffer.
             * @param reader Reader or buffer to decode from
             * @param [length] Message length if known beforehand
             * @returns {outpost.v1.ConfigPush & outpost.v1.ConfigPush.$Shape} ConfigPush
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): outpost.v1.ConfigPush & outpost.v1.ConfigPush.$Shape;

            /**
             * Gets the type url for ConfigPush
             * @param [prefix] Custom type url prefix, defaults to `"type.googleapis.com"`
             * @returns The type url
             */
            static getTypeUrl(prefix?: string): string;
        }

        namespace ConfigPush {

            /** Properties of a ConfigPush. */
            interface $Properties {

                /** ConfigPush version */
                version?: (number|null);

                /** ConfigPush config */
                config?: (Uint8Array|null);

                /** ConfigPush signature */
                signature?: (Uint8Array|null);

                /** Unknown fields preserved while decoding when enabled */
                $unknowns?: Uint8Array[];
            }

            /** Shape of a ConfigPush. */
            type $Shape = outpost.v1.ConfigPush.$Properties;
        }

        /**
         * Properties of an Error.
         * @deprecated Use outpost.v1.Error.$Properties instead.
         */
        interface IError extends outpost.v1.Error.$Properties {
        }

        /** Represents an Error. */
        class Error {

            /**
             * Constructs a new Error.
             * @param [properties] Properties to set
             */
            constructor(properties?: outpost.v1.Error.$Properties);

            /** Unknown fields preserved while decoding when enabled */
            $unknowns?: Uint8Array[];

            /** Error code. */
            code: string;

            /** Error message. */
            message: string;

            /**
             * Encodes the specified Error message. Does not implicitly {@link outpost.v1.Error.verify|verify} messages.
             * @param message Error message or plain object to encode
             * @param [writer] Writer to encode to
             * @returns Writer
             */
            static encode(message: outpost.v1.Error.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

            /**
             * Decodes an Error message from the specified reader or buffer.
             * @param reader Reader or buffer to decode from
             * @param [length] Message length if known beforehand
             * @returns {outpost.v1.Error & outpost.v1.Error.$Shape} Error
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): outpost.v1.Error & outpost.v1.Error.$Shape;

            /**
             * Gets the type url for Error
             * @param [prefix] Custom type url prefix, defaults to `"type.googleapis.com"`
             * @returns The type url
             */
            static getTypeUrl(prefix?: string): string;
        }

        namespace Error {

            /** Properties of an Error. */
            interface $Properties {

                /** Error code */
                code?: (string|null);

                /** Error message */
                message?: (string|null);

                /** Unknown fields preserved while decoding when enabled */
                $unknowns?: Uint8Array[];
            }

            /** Shape of an Error. */
            type $Shape = outpost.v1.Error.$Properties;
        }

        /**
         * Properties of a RelayedBatch.
         * @deprecated Use outpost.v1.RelayedBatch.$Properties instead.
         */
        interface IRelayedBatch extends outpost.v1.RelayedBatch.$Properties {
        }

        /** Represents a RelayedBatch. */
        class RelayedBatch {

            /**
             * Constructs a new RelayedBatch.
             * @param [properties] Properties to set
             */
            constructor(properties?: outpost.v1.RelayedBatch.$Properties);

            /** Unknown fields preserved while decoding when enabled */
            $unknowns?: Uint8Array[];

            /** RelayedBatch agentKey. */
            agentKey: Uint8Array;

            /** RelayedBatch agentName. */
            agentName: string;

            /** RelayedBatch batch. */
            batch?: (outpost.v1.Batch.$Properties|null);

            /** RelayedBatch path. */
            path: string[];

            /**
             * Encodes the specified RelayedBatch message. Does not implicitly {@link outpost.v1.RelayedBatch.verify|verify} messages.
             * @param message RelayedBatch message or plain object to encode
             * @param [writer] Writer to encode to
             * @returns Writer
             */
            static encode(message: outpost.v1.RelayedBatch.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

            /**
             * Decodes a RelayedBatch message from the specified reader or buffer.
             * @param reader Reader or buffer to decode from
             * @param [length] Message length if known beforehand
             * @returns {outpost.v1.RelayedBatch & outpost.v1.RelayedBatch.$Shape} RelayedBatch
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): outpost.v1.RelayedBatch & outpost.v1.RelayedBatch.$Shape;

            /**
             * Gets the type url for RelayedBatch
             * @param [prefix] Custom type url prefix, defaults to `"type.googleapis.com"`
             * @returns The type url
             */
            static getTypeUrl(prefix?: string): string;
        }

        namespace RelayedBatch {

            /** Properties of a RelayedBatch. */
            interface $Properties {

                /** RelayedBatch agentKey */
                agentKey?: (Uint8Array|null);

                /** RelayedBatch agentName */
                agentName?: (string|null);

                /** RelayedBatch batch */
                batch?: (outpost.v1.Batch.$Properties|null);

                /** RelayedBatch path */
                path?: (string[]|null);

                /** Unknown fields preserved while decoding when enabled */
                $unknowns?: Uint8Array[];
            }

            /** Shape of a RelayedBatch. */
            type $Shape = outpost.v1.RelayedBatch.$Properties;
        }

        /**
         * Properties of a RelayedAck.
         * @deprecated Use outpost.v1.RelayedAck.$Properties instead.
         */
        interface IRelayedAck extends outpost.v1.RelayedAck.$Properties {
        }

        /** Represents a RelayedAck. */
        class RelayedAck {

            /**
             * Constructs a new RelayedAck.
             * @param [properties] Properties to set
             */
            constructor(properties?: outpost.v1.RelayedAck.$Properties);

            /** Unknown fields preserved while decoding when enabled */
            $unknowns?: Uint8Array[];

            /** RelayedAck agentKey. */
            agentKey: Uint8Array;

            /** RelayedAck batchSeq. */
            batchSeq: number;

            /** RelayedAck stored. */
            stored: number;

            /** RelayedAck duplicates. */
            duplicates: number;

            /** RelayedAck error. */
            error: string;

            /**
             * Encodes the specified RelayedAck message. Does not implicitly {@link outpost.v1.RelayedAck.verify|verify} messages.
             * @param message RelayedAck message or plain object to encode
             * @param [writer] Writer to encode to
             * @returns Writer
             */
            static encode(message: outpost.v1.RelayedAck.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

            /**
             * Decodes a RelayedAck message from the specified reader or buffer.
             * @param reader Reader or buffer to decode from
             * @param [length] Message length if known beforehand
             * @returns {outpost.v1.RelayedAck & outpost.v1.RelayedAck.$Shape} RelayedAck
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): outpost.v1.RelayedAck & outpost.v1.RelayedAck.$Shape;

            /**
             * Gets the type url for RelayedAck
             * @param [prefix] Custom type url prefix, defaults to `"type.googleapis.com"`
             * @returns The type url
             */
            static getTypeUrl(prefix?: string): string;
        }

        namespace RelayedAck {

            /** Properties of a RelayedAck. */
            interface $Properties {

                /** RelayedAck agentKey */
                agentKey?: (Uint8Array|null);

                /** RelayedAck batchSeq */
                batchSeq?: (number|null);

                /** RelayedAck stored */
                stored?: (number|null);

                /** RelayedAck duplicates */
                duplicates?: (number|null);

                /** RelayedAck error */
                error?: (string|null);

                /** Unknown fields preserved while decoding when enabled */
                $unknowns?: Uint8Array[];
            }

            /** Shape of a RelayedAck. */
            type $Shape = outpost.v1.RelayedAck.$Properties;
        }

        /**
         * Properties of a RelayedConfigPush.
         * @deprecated Use outpost.v1.RelayedConfigPush.$Properties instead.
         */
        interface IRelayedConfigPush extends outpost.v1.RelayedConfigPush.$Properties {
        }

        /** Represents a RelayedConfigPush. */
        class RelayedConfigPush {

            /**
             * Constructs a new RelayedConfigPush.
             * @param [properties] Properties to set
             */
            constructor(properties?: outpost.v1.RelayedConfigPush.$Properties);

            /** Unknown fields preserved while decoding when enabled */
            $unknowns?: Uint8Array[];

            /** RelayedConfigPush agentKey. */
            agentKey: Uint8Array;

            /** RelayedConfigPush agentName. */
            agentName: string;

            /** RelayedConfigPush push. */
            push?: (outpost.v1.ConfigPush.$Properties|null);

            /**
             * Encodes the specified RelayedConfigPush message. Does not implicitly {@link outpost.v1.RelayedConfigPush.verify|verify} messages.
             * @param message RelayedConfigPush message or plain object to encode
             * @param [writer] Writer to encode to
             * @returns Writer
             */
            static encode(message: outpost.v1.RelayedConfigPush.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

            /**
             * Decodes a RelayedConfigPush message from the specified reader or buffer.
             * @param reader Reader or buffer to decode from
             * @param [length] Message length if known beforehand
             * @returns {outpost.v1.RelayedConfigPush & outpost.v1.RelayedConfigPush.$Shape} RelayedConfigPush
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): outpost.v1.RelayedConfigPush & outpost.v1.RelayedConfigPush.$Shape;

            /**
             * Gets the type url for RelayedConfigPush
             * @param [prefix] Custom type url prefix, defaults to `"type.googleapis.com"`
             * @returns The type url
             */
            static getTypeUrl(prefix?: string): string;
        }

        namespace RelayedConfigPush {

            /** Properties of a RelayedConfigPush. */
            interface $Properties {

                /** RelayedConfigPush agentKey */
                agentKey?: (Uint8Array|null);

                /** RelayedConfigPush agentName */
                agentName?: (string|null);

                /** RelayedConfigPush push */
                push?: (outpost.v1.ConfigPush.$Properties|null);

                /** Unknown fields preserved while decoding when enabled */
                $unknowns?: Uint8Array[];
            }

            /** Shape of a RelayedConfigPush. */
            type $Shape = outpost.v1.RelayedConfigPush.$Properties;
        }

        /**
         * Properties of a RelayedHeartbeat.
         * @deprecated Use outpost.v1.RelayedHeartbeat.$Properties instead.
         */
        interface IRelayedHeartbeat extends outpost.v1.RelayedHeartbeat.$Properties {
        }

        /** Represents a RelayedHeartbeat. */
        class RelayedHeartbeat {

            /**
             * Constructs a new RelayedHeartbeat.
             * @param [properties] Properties to set
             */
            constructor(properties?: outpost.v1.RelayedHeartbeat.$Properties);

            /** Unknown fields preserved while decoding when enabled */
            $unknowns?: Uint8Array[];

            /** RelayedHeartbeat agentKey. */
            agentKey: Uint8Array;

            /** RelayedHeartbeat agentName. */
            agentName: string;

            /** RelayedHeartbeat heartbeat. */
            heartbeat?: (outpost.v1.Heartbeat.$Properties|null);

            /** RelayedHeartbeat path. */
            path: string[];

            /**
             * Encodes the specified RelayedHeartbeat message. Does not implicitly {@link outpost.v1.RelayedHeartbeat.verify|verify} messages.
             * @param message RelayedHeartbeat message or plain object to encode
             * @param [writer] Writer to encode to
             * @returns Writer
             */
            static encode(message: outpost.v1.RelayedHeartbeat.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

            /**
             * Decodes a RelayedHeartbeat message from the specified reader or buffer.
             * @param reader Reader or buffer to decode from
             * @param [length] Message length if known beforehand
             * @returns {outpost.v1.RelayedHeartbeat & outpost.v1.RelayedHeartbeat.$Shape} RelayedHeartbeat
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): outpost.v1.RelayedHeartbeat & outpost.v1.RelayedHeartbeat.$Shape;

            /**
             * Gets the type url for RelayedHeartbeat
             * @param [prefix] Custom type url prefix, defaults to `"type.googleapis.com"`
             * @returns The type url
             */
            static getTypeUrl(prefix?: string): string;
        }

        namespace RelayedHeartbeat {

            /** Properties of a RelayedHeartbeat. */
            interface $Properties {

                /** RelayedHeartbeat agentKey */
                agentKey?: (Uint8Array|null);

                /** RelayedHeartbeat agentName */
                agentName?: (string|null);

                /** RelayedHeartbeat heartbeat */
                heartbeat?: (outpost.v1.Heartbeat.$Properties|null);

                /** RelayedHeartbeat path */
                path?: (string[]|null);

                /** Unknown fields preserved while decoding when enabled */
                $unknowns?: Uint8Array[];
            }

            /** Shape of a RelayedHeartbeat. */
            type $Shape = outpost.v1.RelayedHeartbeat.$Properties;
        }
    }
}
