using System.Buffers;
using System.Text.Json;

namespace Lifeline.Protocol;

/// <summary>
/// The JSON encoding of <see cref="LogEntry"/> (docs/protocol.md, "Log entries"), hand-written on
/// <see cref="Utf8JsonWriter"/>/<see cref="Utf8JsonReader"/>: unknown fields are skipped, invalid entries throw
/// <see cref="ProtocolException"/> with <see cref="ErrorCodes.InvalidEntry"/>, malformed JSON with <see cref="ErrorCodes.InvalidJson"/>.
/// </summary>
/// <remarks>All members are thread-safe.</remarks>
public static class LogEntryJson
{
    /// <summary>Writes <paramref name="entry"/> as one JSON object. <c>id</c> is written when not 0, <c>ts</c> when not default.</summary>
    public static void Write(Utf8JsonWriter writer, LogEntry entry)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(entry);
        WriteFields(writer, entry.Id, entry.Timestamp, entry.Level, entry.Source, entry.Message, entry.Properties);
    }

    /// <summary>Encodes <paramref name="entry"/> as UTF-8 JSON.</summary>
    public static byte[] Serialize(LogEntry entry) => JsonEncoding.Encode(entry, Write);

    /// <summary>Decodes one entry from UTF-8 JSON.</summary>
    /// <exception cref="ProtocolException">The JSON is malformed or the entry invalid.</exception>
    public static LogEntry Deserialize(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            reader.Read();
            var entry = Read(ref reader);
            if (reader.Read())
            {
                throw new ProtocolException("trailing data after the entry");
            }

            return entry;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            throw new ProtocolException(e.Message, e);
        }
    }

    /// <summary>Reads one entry; the reader is on its <c>StartObject</c> token and ends on its <c>EndObject</c>.</summary>
    /// <exception cref="ProtocolException">The entry is invalid.</exception>
    /// <exception cref="JsonException">The JSON is malformed.</exception>
    public static LogEntry Read(ref Utf8JsonReader reader)
    {
        var f = ReadFields(ref reader, default, raw: false);
        return new LogEntry
        {
            Id = f.Id,
            Timestamp = f.Timestamp ?? default,
            Level = f.Level,
            Source = f.Source,
            Message = f.Message,
            Properties = f.Properties,
        };
    }

    /// <summary>Writes the fields of an entry as one JSON object (the hub's and the client's single encoding).</summary>
    internal static void WriteFields(
        Utf8JsonWriter writer, long id, DateTimeOffset ts, LogLevel level, string source, string message, JsonElement? props)
    {
        writer.WriteStartObject();
        if (id != 0)
        {
            writer.WriteNumber("id"u8, id);
        }

        if (ts != default)
        {
            writer.WriteString("ts"u8, ts.UtcDateTime);
        }

        writer.WriteString("level"u8, LogLevelNames.GetUtf8Name(level));
        writer.WriteString("source"u8, source);
        writer.WriteString("message"u8, message);
        if (props is { ValueKind: JsonValueKind.Object } p)
        {
            writer.WritePropertyName("props"u8);
            p.WriteTo(writer);
        }

        writer.WriteEndObject();
    }

    /// <summary>Writes a stored entry: <paramref name="rawProps"/> is a JSON object already validated by the reader.</summary>
    internal static void WriteStored(
        Utf8JsonWriter writer, long id, DateTimeOffset ts, LogLevel level, string source, string message, byte[]? rawProps)
    {
        writer.WriteStartObject();
        writer.WriteNumber("id"u8, id);
        writer.WriteString("ts"u8, ts.UtcDateTime);
        writer.WriteString("level"u8, LogLevelNames.GetUtf8Name(level));
        writer.WriteString("source"u8, source);
        writer.WriteString("message"u8, message);
        if (rawProps is not null)
        {
            writer.WritePropertyName("props"u8);
            writer.WriteRawValue(rawProps, skipInputValidation: true);
        }

        writer.WriteEndObject();
    }

    /// <summary>
    /// Reads and validates the fields of one entry. With <paramref name="raw"/>, properties are returned as a copy
    /// of their JSON text (the reader must have been created over <paramref name="buffer"/> from its start).
    /// </summary>
    internal static EntryFields ReadFields(ref Utf8JsonReader reader, ReadOnlySpan<byte> buffer, bool raw)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new ProtocolException(ErrorCodes.InvalidEntry, "an entry must be a JSON object");
        }

        var f = new EntryFields { Level = LogLevel.Information, Source = "" };
        string? message = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.ValueSpan;
            var escaped = reader.ValueIsEscaped;
            reader.Read();
            if (escaped)
            {
                // Escaped property names are rare: compare the decoded name.
                name = System.Text.Encoding.UTF8.GetBytes(reader.GetString() ?? "");
            }

            if (name.SequenceEqual("message"u8))
            {
                message = reader.TokenType == JsonTokenType.String
                    ? reader.GetString()
                    : throw new ProtocolException(ErrorCodes.InvalidEntry, "message must be a string");
            }
            else if (name.SequenceEqual("level"u8))
            {
                if (reader.TokenType == JsonTokenType.Null)
                {
                    continue;
                }

                if (reader.TokenType != JsonTokenType.String
                    || !(reader.ValueIsEscaped ? LogLevelNames.TryParse(reader.GetString(), out f.Level) : LogLevelNames.TryParse(reader.ValueSpan, out f.Level)))
                {
                    throw new ProtocolException(ErrorCodes.InvalidEntry, "level must be one of trace, debug, information, warning, error, critical (or info, warn, fatal)");
                }
            }
            else if (name.SequenceEqual("source"u8))
            {
                if (reader.TokenType == JsonTokenType.Null)
                {
                    continue;
                }

                f.Source = reader.TokenType == JsonTokenType.String
                    ? (raw ? SourceNames.Get(ref reader) : reader.GetString()!)
                    : throw new ProtocolException(ErrorCodes.InvalidEntry, "source must be a string");
                if (f.Source.Length > LogEntry.MaxSourceLength)
                {
                    throw new ProtocolException(ErrorCodes.InvalidEntry, $"source is longer than {LogEntry.MaxSourceLength} characters");
                }
            }
            else if (name.SequenceEqual("ts"u8))
            {
                if (reader.TokenType == JsonTokenType.Null)
                {
                    continue;
                }

                if (reader.TokenType != JsonTokenType.String || !reader.TryGetDateTimeOffset(out var ts))
                {
                    throw new ProtocolException(ErrorCodes.InvalidEntry, "ts must be an RFC 3339 timestamp string");
                }

                f.Timestamp = ts.ToUniversalTime();
            }
            else if (name.SequenceEqual("id"u8))
            {
                if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out f.Id))
                {
                    if (reader.TokenType != JsonTokenType.Null)
                    {
                        throw new ProtocolException(ErrorCodes.InvalidEntry, "id must be an integer");
                    }
                }
            }
            else if (name.SequenceEqual("props"u8))
            {
                if (reader.TokenType == JsonTokenType.Null)
                {
                    continue;
                }

                if (reader.TokenType != JsonTokenType.StartObject)
                {
                    throw new ProtocolException(ErrorCodes.InvalidEntry, "props must be a JSON object");
                }

                if (raw)
                {
                    var start = (int)reader.TokenStartIndex;
                    reader.Skip();
                    var props = buffer[start..(int)reader.BytesConsumed];
                    PropsText.Validate(props);
                    f.RawProperties = props.ToArray();
                }
                else
                {
                    f.Properties = JsonElement.ParseValue(ref reader);
                }
            }
            else
            {
                reader.Skip();
            }
        }

        f.Message = message ?? throw new ProtocolException(ErrorCodes.InvalidEntry, "message is required");
        return f;
    }
}

/// <summary>The decoded fields of one entry; <see cref="RawProperties"/> is the JSON text of <c>props</c> in raw mode.</summary>
internal struct EntryFields
{
    public long Id;
    public DateTimeOffset? Timestamp;
    public LogLevel Level;
    public string Source;
    public string Message;
    public JsonElement? Properties;
    public byte[]? RawProperties;
}
