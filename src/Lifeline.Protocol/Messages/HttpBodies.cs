using System.Buffers;
using System.Text.Json;

namespace Lifeline.Protocol;

/// <summary>The answer of <c>GET /v1/logs</c>: <c>{"entries":[...],"next":"/v1/logs?after=1100&amp;limit=100","oldestId":1,"lastId":5000}</c>.</summary>
/// <param name="Entries">Matching entries, oldest first.</param>
/// <param name="Next">The path and query of the next page, or <see langword="null"/> when there was nothing more.</param>
/// <param name="OldestId">The oldest id retained (0 when the store is empty).</param>
/// <param name="LastId">The newest id in the store (0 when empty).</param>
public sealed record LogQueryPage(IReadOnlyList<LogEntry> Entries, string? Next, long OldestId, long LastId);

/// <summary>An HTTP error body: <c>{"error":"&lt;code&gt;","message":"&lt;text&gt;"}</c>, with <c>index</c> for an invalid entry.</summary>
/// <param name="Error">One of <see cref="ErrorCodes"/>.</param>
/// <param name="Message">What is wrong.</param>
/// <param name="Index">The first bad entry's index, if any.</param>
public sealed record ErrorBody(string Error, string Message, int? Index = null);

/// <summary>The JSON of HTTP bodies: <see cref="PublishResult"/>, <see cref="LogQueryPage"/>, <see cref="ErrorBody"/>.</summary>
/// <remarks>All members are thread-safe.</remarks>
public static class HttpBodyJson
{
    /// <summary>Encodes a publish answer.</summary>
    public static byte[] Serialize(PublishResult result) => Encode(w =>
    {
        ArgumentNullException.ThrowIfNull(result);
        w.WriteStartObject();
        w.WriteNumber("count"u8, result.Count);
        w.WriteNumber("firstId"u8, result.FirstId);
        w.WriteNumber("lastId"u8, result.LastId);
        w.WriteEndObject();
    });

    /// <summary>Encodes an error body.</summary>
    public static byte[] Serialize(ErrorBody body) => Encode(w =>
    {
        ArgumentNullException.ThrowIfNull(body);
        w.WriteStartObject();
        w.WriteString("error"u8, body.Error);
        w.WriteString("message"u8, body.Message);
        if (body.Index is { } index)
        {
            w.WriteNumber("index"u8, index);
        }

        w.WriteEndObject();
    });

    /// <summary>Encodes a query page.</summary>
    public static byte[] Serialize(LogQueryPage page) => Encode(w =>
    {
        ArgumentNullException.ThrowIfNull(page);
        w.WriteStartObject();
        w.WriteStartArray("entries"u8);
        foreach (var e in page.Entries)
        {
            LogEntryJson.Write(w, e);
        }

        w.WriteEndArray();
        if (page.Next is not null)
        {
            w.WriteString("next"u8, page.Next);
        }

        w.WriteNumber("oldestId"u8, page.OldestId);
        w.WriteNumber("lastId"u8, page.LastId);
        w.WriteEndObject();
    });

    /// <summary>Encodes the answer of <c>POST /v1/keys/revoke</c>: <c>{"revoked":"&lt;id&gt;"}</c>.</summary>
    public static byte[] SerializeRevoked(string id) => Encode(w =>
    {
        w.WriteStartObject();
        w.WriteString("revoked"u8, id);
        w.WriteEndObject();
    });

    /// <summary>Decodes a publish answer.</summary>
    /// <exception cref="ProtocolException">The JSON is malformed.</exception>
    public static PublishResult ParsePublishResult(ReadOnlySpan<byte> json)
    {
        using var doc = ParseDocument(json);
        var root = doc.RootElement;
        return Shape(() => new PublishResult(root.GetProperty("count").GetInt32(), root.GetProperty("firstId").GetInt64(), root.GetProperty("lastId").GetInt64()));
    }

    /// <summary>Decodes an error body.</summary>
    /// <exception cref="ProtocolException">The JSON is malformed.</exception>
    public static ErrorBody ParseErrorBody(ReadOnlySpan<byte> json)
    {
        using var doc = ParseDocument(json);
        var root = doc.RootElement;
        return Shape(() => new ErrorBody(
            root.GetProperty("error").GetString() ?? "",
            root.TryGetProperty("message", out var m) ? m.GetString() ?? "" : "",
            root.TryGetProperty("index", out var i) ? i.GetInt32() : null));
    }

    /// <summary>Decodes a query page.</summary>
    /// <exception cref="ProtocolException">The JSON is malformed or an entry invalid.</exception>
    public static LogQueryPage ParseQueryPage(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        try
        {
            var entries = new List<LogEntry>();
            string? next = null;
            long oldest = 0, last = 0;
            reader.Read();
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.GetString();
                reader.Read();
                switch (name)
                {
                    case "entries":
                        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                        {
                            entries.Add(LogEntryJson.Read(ref reader));
                        }

                        break;
                    case "next": next = reader.TokenType == JsonTokenType.Null ? null : reader.GetString(); break;
                    case "oldestId": oldest = reader.GetInt64(); break;
                    case "lastId": last = reader.GetInt64(); break;
                    default: reader.Skip(); break;
                }
            }

            return new LogQueryPage(entries, next, oldest, last);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new ProtocolException($"malformed JSON: {e.Message}", e);
        }
    }

    private static T Shape<T>(Func<T> read)
    {
        try
        {
            return read();
        }
        catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new ProtocolException($"unexpected JSON shape: {e.Message}", e);
        }
    }

    private static JsonDocument ParseDocument(ReadOnlySpan<byte> json)
    {
        try
        {
            return JsonDocument.Parse(json.ToArray());
        }
        catch (JsonException e)
        {
            throw new ProtocolException($"malformed JSON: {e.Message}", e);
        }
    }

    private static byte[] Encode(Action<Utf8JsonWriter> write) => JsonEncoding.Encode(write, static (w, write) => write(w));
}
