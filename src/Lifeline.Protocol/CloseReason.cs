using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.Json;

namespace Lifeline.Protocol;

/// <summary>
/// The JSON reason of a close frame that carries data (docs/protocol.md, "Close codes"):
/// <c>{"resumeAfter":1042,"retryAfterMs":1350}</c>.
/// </summary>
/// <param name="ResumeAfter">The position through which the stream was served: reconnect with <c>after</c> = this.</param>
/// <param name="RetryAfterMs">How long to wait before reconnecting (jittered by the hub).</param>
public sealed record CloseReason(long? ResumeAfter, int? RetryAfterMs)
{
    /// <summary>Encodes the reason as JSON (well under the 123-byte close-reason limit).</summary>
    public string ToJson()
    {
        return Encoding.UTF8.GetString(JsonEncoding.Encode(this, static (writer, reason) =>
        {
            writer.WriteStartObject();
            if (reason.ResumeAfter is { } resume)
            {
                writer.WriteNumber("resumeAfter"u8, resume);
            }

            if (reason.RetryAfterMs is { } retry)
            {
                writer.WriteNumber("retryAfterMs"u8, retry);
            }

            writer.WriteEndObject();
        }, 64));
    }

    /// <summary>Parses a close reason; unknown fields are ignored.</summary>
    /// <returns><see langword="false"/> when <paramref name="text"/> is empty or not a JSON object of this shape.</returns>
    public static bool TryParse(string? text, [NotNullWhen(true)] out CloseReason? reason)
    {
        reason = null;
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        try
        {
            var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(text));
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            long? resume = null;
            int? retry = null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.ValueSpan;
                reader.Read();
                if (name.SequenceEqual("resumeAfter"u8) && reader.TokenType == JsonTokenType.Number)
                {
                    resume = reader.GetInt64();
                }
                else if (name.SequenceEqual("retryAfterMs"u8) && reader.TokenType == JsonTokenType.Number)
                {
                    retry = reader.GetInt32();
                }
                else
                {
                    reader.Skip();
                }
            }

            reason = new CloseReason(resume, retry);
            return true;
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException)
        {
            return false;
        }
    }
}
