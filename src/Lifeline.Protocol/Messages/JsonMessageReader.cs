using System.Text.Json;

namespace Lifeline.Protocol;

/// <summary>Shared reading helpers: find the <c>type</c> of a top-level object wherever it is, and read typed fields.</summary>
internal static class JsonMessageReader
{
    /// <summary>Returns the top-level <c>type</c> string, scanning past other fields (which may come first).</summary>
    public static string FindType(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            throw new ProtocolException(ErrorCodes.InvalidJson, "a message must be a JSON object");
        }

        string? type = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isType = reader.ValueTextEquals("type"u8);
            reader.Read();
            if (isType)
            {
                type = reader.TokenType == JsonTokenType.String
                    ? reader.GetString()
                    : throw new ProtocolException(ErrorCodes.InvalidJson, "type must be a string");
            }
            else
            {
                reader.Skip();
            }
        }

        if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
        {
            throw new ProtocolException(ErrorCodes.InvalidJson, "trailing data after the message");
        }

        return type ?? throw new ProtocolException(ErrorCodes.InvalidJson, "a message must have a type");
    }

    /// <summary>Opens a reader on a top-level object and positions it before its first property.</summary>
    public static Utf8JsonReader Open(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        reader.Read();
        return reader;
    }

    public static long Int64(ref Utf8JsonReader reader, string name) =>
        reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var v)
            ? v
            : throw new ProtocolException(ErrorCodes.InvalidJson, $"{name} must be an integer");

    public static int Int32(ref Utf8JsonReader reader, string name) =>
        reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var v)
            ? v
            : throw new ProtocolException(ErrorCodes.InvalidJson, $"{name} must be an integer");

    public static string String(ref Utf8JsonReader reader, string name) =>
        reader.TokenType == JsonTokenType.String
            ? reader.GetString()!
            : throw new ProtocolException(ErrorCodes.InvalidJson, $"{name} must be a string");
}
