using System.Text.Json;
using System.Text.Unicode;

namespace Lifeline.Protocol;

/// <summary>
/// Checks the JSON text of <c>props</c> kept raw by the hub. The reader skips over it without decoding a string, so
/// neither bytes that are not UTF-8 nor an escaped lone surrogate (<c>\uD800</c>) would be noticed, and either would
/// be stored and sent to every reader as it came: a text frame that is not UTF-8 fails a standards-following client
/// for good (issue 11). Both are malformed JSON, as they are in <c>message</c>. Thread-safe (stateless).
/// </summary>
internal static class PropsText
{
    /// <exception cref="ProtocolException"><see cref="ErrorCodes.InvalidJson"/>: the text is not valid Unicode.</exception>
    public static void Validate(ReadOnlySpan<byte> json)
    {
        if (!Utf8.IsValid(json))
        {
            throw new ProtocolException(ErrorCodes.InvalidJson, "props is not valid UTF-8");
        }

        // Only text holding a \u escape can hold an escaped surrogate: the walk below runs for those alone.
        if (json.IndexOf("\\u"u8) >= 0 && HasLoneSurrogate(json))
        {
            throw new ProtocolException(ErrorCodes.InvalidJson, "props holds a \\u escape of a lone surrogate (not Unicode text)");
        }
    }

    private static bool HasLoneSurrogate(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        while (reader.Read())
        {
            if (reader.TokenType is JsonTokenType.String or JsonTokenType.PropertyName && reader.ValueIsEscaped)
            {
                try
                {
                    // Decoding is what refuses a lone surrogate (as it does in message); the string is dropped.
                    _ = reader.GetString();
                }
                catch (InvalidOperationException)
                {
                    return true;
                }
            }
        }

        return false;
    }
}
