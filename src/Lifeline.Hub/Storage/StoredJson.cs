using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using Lifeline.Protocol;

namespace Lifeline.Hub.Storage;

/// <summary>
/// Makes an entry's stored JSON safe to send. The hub stores only valid UTF-8 JSON, but a file written by an older
/// version (which stored <c>props</c> unchecked) or damaged on disk may hold an entry that is not: sent as it is, its
/// frame fails every standards-following client at that entry, on every reconnect, so no reader could get past it
/// (issue 11). Thread-safe (stateless).
/// </summary>
internal static class StoredJson
{
    /// <summary>The name of the property that replaces <c>props</c> when the stored JSON is beyond repair.</summary>
    internal const string UnreadableProperty = "lifelineUnreadable";

    /// <summary>
    /// <paramref name="json"/> itself when it is valid UTF-8 (every entry this version stored; the check is a vectorized
    /// scan); otherwise the same JSON with each invalid sequence replaced by U+FFFD; and when that is not one JSON
    /// object either, the entry rebuilt from its columns with <c>props</c> <c>{"lifelineUnreadable":"..."}</c>.
    /// </summary>
    public static byte[] Readable(byte[] json, long id, DateTimeOffset timestamp, Protocol.LogLevel level, string source, string message)
    {
        if (Utf8.IsValid(json))
        {
            return json;
        }

        // Invalid bytes can only be inside strings of JSON an older version wrote (its reader checked the structure),
        // so the replacement keeps the structure.
        var repaired = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(json));
        if (IsOneObject(repaired))
        {
            return repaired;
        }

        var props = JsonEncoding.Encode(
            0, static (w, _) =>
            {
                w.WriteStartObject();
                w.WriteString(UnreadableProperty, "the stored entry was damaged; its message and fields are from the store's columns");
                w.WriteEndObject();
            });
        return JsonEncoding.Encode(
            (id, timestamp, level, source, message, props),
            static (w, e) => LogEntryJson.WriteStored(w, e.id, e.timestamp, e.level, e.source, e.message, e.props));
    }

    private static bool IsOneObject(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            reader.Skip();
            return !reader.Read();
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
