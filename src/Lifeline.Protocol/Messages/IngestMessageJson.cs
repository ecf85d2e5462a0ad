using System.Buffers;
using System.Text.Json;

namespace Lifeline.Protocol;

/// <summary>The JSON encoding of <see cref="IngestMessage"/>s; unknown fields are ignored, unknown types throw.</summary>
/// <remarks>All members are thread-safe.</remarks>
public static class IngestMessageJson
{
    /// <summary>Encodes <paramref name="message"/> as UTF-8 JSON.</summary>
    public static byte[] Serialize(IngestMessage message) => JsonEncoding.Encode(message, Write, 128);

    /// <summary>Writes <paramref name="message"/> as one JSON object.</summary>
    public static void Write(Utf8JsonWriter writer, IngestMessage message)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        switch (message)
        {
            case PublishMessage p:
                writer.WriteString("type"u8, "publish"u8);
                writer.WriteString("ref"u8, p.Ref);
                writer.WriteStartArray("entries"u8);
                foreach (var entry in p.Entries)
                {
                    LogEntryJson.Write(writer, entry);
                }

                writer.WriteEndArray();
                break;
            case AckMessage a:
                writer.WriteString("type"u8, "ack"u8);
                writer.WriteString("ref"u8, a.Ref);
                writer.WriteNumber("count"u8, a.Count);
                writer.WriteNumber("firstId"u8, a.FirstId);
                writer.WriteNumber("lastId"u8, a.LastId);
                break;
            case ErrorMessage e:
                writer.WriteString("type"u8, "error"u8);
                if (e.Ref is not null)
                {
                    writer.WriteString("ref"u8, e.Ref);
                }

                writer.WriteString("error"u8, e.Error);
                writer.WriteString("message"u8, e.Message);
                if (e.Index is { } index)
                {
                    writer.WriteNumber("index"u8, index);
                }

                break;
            default:
                throw new ArgumentException($"unknown ingest message {message?.GetType().Name}", nameof(message));
        }

        writer.WriteEndObject();
    }

    /// <summary>Decodes one ingest message.</summary>
    /// <exception cref="ProtocolException">Malformed JSON, an invalid entry, a missing or mistyped field, or an unknown <c>type</c>.</exception>
    public static IngestMessage Parse(ReadOnlySpan<byte> json)
    {
        try
        {
            var type = JsonMessageReader.FindType(json);
            var reader = JsonMessageReader.Open(json);
            switch (type)
            {
                case MessageTypes.Publish:
                    var entries = new List<LogEntry>();
                    var @ref = ReadPublish(ref reader, json, 0, raw: null, entries);
                    return new PublishMessage(@ref, entries);
                case MessageTypes.Ack:
                    return ParseAck(ref reader);
                case MessageTypes.Error:
                    return ParseError(ref reader);
                default:
                    throw new ProtocolException(ErrorCodes.InvalidJson, $"unknown message type '{type}'");
            }
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

    /// <summary>
    /// The hub's parse of a publish message: the <c>ref</c> is read first (so an invalid entry can be answered with it);
    /// a malformed message throws <see cref="ProtocolException"/> with <see cref="ErrorCodes.InvalidJson"/>, an invalid
    /// entry throws with the ref in <paramref name="ref"/>.
    /// </summary>
    internal static List<EntryFields> ParsePublishRaw(ReadOnlySpan<byte> json, int maxEntryBytes, out string? @ref)
    {
        @ref = null;
        try
        {
            var type = JsonMessageReader.FindType(json);
            if (type != MessageTypes.Publish)
            {
                throw new ProtocolException(ErrorCodes.InvalidJson, $"unknown message type '{type}'");
            }

            @ref = FindRef(json);
            var reader = JsonMessageReader.Open(json);
            var list = new List<EntryFields>();
            ReadPublish(ref reader, json, maxEntryBytes, list, entries: null);
            return list;
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

    private static string? FindRef(ReadOnlySpan<byte> json)
    {
        var reader = JsonMessageReader.Open(json);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isRef = reader.ValueTextEquals("ref"u8);
            reader.Read();
            if (isRef && reader.TokenType == JsonTokenType.String)
            {
                return reader.GetString();
            }

            reader.Skip();
        }

        return null;
    }

    private static string ReadPublish(ref Utf8JsonReader reader, ReadOnlySpan<byte> json, int maxEntryBytes, List<EntryFields>? raw, List<LogEntry>? entries)
    {
        string? @ref = null;
        var sawEntries = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.GetString();
            reader.Read();
            switch (name)
            {
                case "ref":
                    @ref = JsonMessageReader.String(ref reader, name);
                    if (@ref.Length is 0 or > PublishMessage.MaxRefLength)
                    {
                        throw new ProtocolException(ErrorCodes.InvalidJson, $"ref must be 1 to {PublishMessage.MaxRefLength} characters");
                    }

                    break;
                case "entries":
                    if (reader.TokenType != JsonTokenType.StartArray)
                    {
                        throw new ProtocolException(ErrorCodes.InvalidJson, "entries must be an array");
                    }

                    sawEntries = true;
                    if (raw is not null)
                    {
                        EntryBatchReader.ReadElements(ref reader, json, maxEntryBytes, raw);
                    }
                    else
                    {
                        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                        {
                            entries!.Add(LogEntryJson.Read(ref reader));
                        }
                    }

                    break;
                default:
                    reader.Skip();
                    break;
            }
        }

        if (!sawEntries)
        {
            throw new ProtocolException(ErrorCodes.InvalidJson, "entries is required");
        }

        return @ref ?? throw new ProtocolException(ErrorCodes.InvalidJson, "ref is required");
    }

    private static AckMessage ParseAck(ref Utf8JsonReader reader)
    {
        string? @ref = null;
        int count = 0;
        long first = 0, last = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.GetString();
            reader.Read();
            switch (name)
            {
                case "ref": @ref = JsonMessageReader.String(ref reader, name); break;
                case "count": count = JsonMessageReader.Int32(ref reader, name); break;
                case "firstId": first = JsonMessageReader.Int64(ref reader, name); break;
                case "lastId": last = JsonMessageReader.Int64(ref reader, name); break;
                default: reader.Skip(); break;
            }
        }

        return new AckMessage(@ref ?? throw new ProtocolException(ErrorCodes.InvalidJson, "ref is required"), count, first, last);
    }

    private static ErrorMessage ParseError(ref Utf8JsonReader reader)
    {
        string? @ref = null, error = null, message = null;
        int? index = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.GetString();
            reader.Read();
            switch (name)
            {
                case "ref": @ref = JsonMessageReader.String(ref reader, name); break;
                case "error": error = JsonMessageReader.String(ref reader, name); break;
                case "message": message = JsonMessageReader.String(ref reader, name); break;
                case "index": index = JsonMessageReader.Int32(ref reader, name); break;
                default: reader.Skip(); break;
            }
        }

        return new ErrorMessage(@ref, error ?? throw new ProtocolException(ErrorCodes.InvalidJson, "error is required"), message ?? "", index);
    }
}
