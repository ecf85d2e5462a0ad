using System.Buffers;
using System.Text.Json;

namespace Lifeline.Protocol;

/// <summary>The JSON encoding of <see cref="StreamMessage"/>s; unknown fields are ignored, unknown types throw.</summary>
/// <remarks>All members are thread-safe.</remarks>
public static class StreamMessageJson
{
    /// <summary>Encodes <paramref name="message"/> as UTF-8 JSON.</summary>
    public static byte[] Serialize(StreamMessage message) => JsonEncoding.Encode(message, Write, 128);

    /// <summary>Writes <paramref name="message"/> as one JSON object.</summary>
    public static void Write(Utf8JsonWriter writer, StreamMessage message)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        switch (message)
        {
            case HelloMessage h:
                writer.WriteString("type"u8, "hello"u8);
                writer.WriteNumber("protocol"u8, h.Protocol);
                writer.WriteNumber("lastId"u8, h.LastId);
                writer.WriteNumber("heartbeatMs"u8, h.HeartbeatMs);
                break;
            case EntriesMessage e:
                writer.WriteString("type"u8, "entries"u8);
                writer.WriteStartArray("entries"u8);
                foreach (var entry in e.Entries)
                {
                    LogEntryJson.Write(writer, entry);
                }

                writer.WriteEndArray();
                break;
            case GapMessage g:
                writer.WriteString("type"u8, "gap"u8);
                writer.WriteNumber("fromId"u8, g.FromId);
                writer.WriteNumber("toId"u8, g.ToId);
                writer.WriteString("reason"u8, g.Reason);
                break;
            case LiveMessage l:
                writer.WriteString("type"u8, "live"u8);
                writer.WriteNumber("lastId"u8, l.LastId);
                break;
            case HeartbeatMessage hb:
                writer.WriteString("type"u8, "heartbeat"u8);
                writer.WriteNumber("lastId"u8, hb.LastId);
                writer.WriteString("ts"u8, hb.Timestamp.UtcDateTime);
                break;
            default:
                throw new ArgumentException($"unknown stream message {message?.GetType().Name}", nameof(message));
        }

        writer.WriteEndObject();
    }

    /// <summary>Decodes one stream message.</summary>
    /// <exception cref="ProtocolException">Malformed JSON, a missing or mistyped field, or an unknown <c>type</c>.</exception>
    public static StreamMessage Parse(ReadOnlySpan<byte> json)
    {
        try
        {
            var type = JsonMessageReader.FindType(json);
            var reader = JsonMessageReader.Open(json);
            return type switch
            {
                MessageTypes.Hello => ParseHello(ref reader),
                MessageTypes.Entries => ParseEntries(ref reader),
                MessageTypes.Gap => ParseGap(ref reader),
                MessageTypes.Live => ParseLive(ref reader),
                MessageTypes.Heartbeat => ParseHeartbeat(ref reader),
                _ => throw new ProtocolException(ErrorCodes.InvalidJson, $"unknown message type '{type}'"),
            };
        }
        catch (JsonException e)
        {
            throw new ProtocolException($"malformed JSON: {e.Message}", e);
        }
        catch (InvalidOperationException e)
        {
            throw new ProtocolException($"malformed JSON: {e.Message}", e);
        }
    }

    private static HelloMessage ParseHello(ref Utf8JsonReader reader)
    {
        int protocol = 0, heartbeat = 0;
        long lastId = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.GetString();
            reader.Read();
            switch (name)
            {
                case "protocol": protocol = JsonMessageReader.Int32(ref reader, name); break;
                case "lastId": lastId = JsonMessageReader.Int64(ref reader, name); break;
                case "heartbeatMs": heartbeat = JsonMessageReader.Int32(ref reader, name); break;
                default: reader.Skip(); break;
            }
        }

        return new HelloMessage(protocol, lastId, heartbeat);
    }

    private static EntriesMessage ParseEntries(ref Utf8JsonReader reader)
    {
        List<LogEntry>? entries = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isEntries = reader.ValueTextEquals("entries"u8);
            reader.Read();
            if (!isEntries)
            {
                reader.Skip();
                continue;
            }

            if (reader.TokenType != JsonTokenType.StartArray)
            {
                throw new ProtocolException(ErrorCodes.InvalidJson, "entries must be an array");
            }

            entries = [];
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                entries.Add(LogEntryJson.Read(ref reader));
            }
        }

        return new EntriesMessage(entries ?? throw new ProtocolException(ErrorCodes.InvalidJson, "entries is required"));
    }

    private static GapMessage ParseGap(ref Utf8JsonReader reader)
    {
        long from = 0, to = 0;
        var reason = "";
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.GetString();
            reader.Read();
            switch (name)
            {
                case "fromId": from = JsonMessageReader.Int64(ref reader, name); break;
                case "toId": to = JsonMessageReader.Int64(ref reader, name); break;
                case "reason": reason = JsonMessageReader.String(ref reader, name); break;
                default: reader.Skip(); break;
            }
        }

        return new GapMessage(from, to, reason);
    }

    private static LiveMessage ParseLive(ref Utf8JsonReader reader)
    {
        long lastId = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isLast = reader.ValueTextEquals("lastId"u8);
            reader.Read();
            if (isLast)
            {
                lastId = JsonMessageReader.Int64(ref reader, "lastId");
            }
            else
            {
                reader.Skip();
            }
        }

        return new LiveMessage(lastId);
    }

    private static HeartbeatMessage ParseHeartbeat(ref Utf8JsonReader reader)
    {
        long lastId = 0;
        DateTimeOffset ts = default;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.GetString();
            reader.Read();
            switch (name)
            {
                case "lastId": lastId = JsonMessageReader.Int64(ref reader, name); break;
                case "ts":
                    if (reader.TokenType != JsonTokenType.String || !reader.TryGetDateTimeOffset(out ts))
                    {
                        throw new ProtocolException(ErrorCodes.InvalidJson, "ts must be an RFC 3339 timestamp");
                    }

                    break;
                default: reader.Skip(); break;
            }
        }

        return new HeartbeatMessage(lastId, ts);
    }
}
