using System.Text.Json;

namespace Lifeline.Protocol;

/// <summary>Reads publish batches (a JSON array, NDJSON, or the <c>entries</c> of a publish message) in raw mode for the hub.</summary>
internal static class EntryBatchReader
{
    /// <summary>The shortest valid NDJSON line: <c>{"message":""}</c> and its newline.</summary>
    private const int MinEntryLineBytes = 15;

    /// <summary>Reads a JSON array of entries. Throws <see cref="ProtocolException"/> naming the first bad entry's index.</summary>
    public static List<EntryFields> ReadArray(ReadOnlySpan<byte> body, int maxEntryBytes)
    {
        var list = new List<EntryFields>();
        var reader = new Utf8JsonReader(body);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray)
            {
                throw new ProtocolException(ErrorCodes.InvalidJson, "the body must be a JSON array of entries");
            }

            ReadElements(ref reader, body, maxEntryBytes, list);
            if (reader.Read())
            {
                throw new ProtocolException(ErrorCodes.InvalidJson, "trailing data after the array");
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // InvalidOperationException: a string that is not valid UTF-8.
            throw new ProtocolException($"malformed JSON at entry {list.Count}: {e.Message}", e);
        }

        return list;
    }

    /// <summary>Reads the elements of an array; the reader is on its <c>StartArray</c> and ends on its <c>EndArray</c>.</summary>
    public static void ReadElements(ref Utf8JsonReader reader, ReadOnlySpan<byte> buffer, int maxEntryBytes, List<EntryFields> into)
    {
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            var index = into.Count;
            var start = reader.TokenStartIndex;
            try
            {
                into.Add(LogEntryJson.ReadFields(ref reader, buffer, raw: true));
            }
            catch (ProtocolException e)
            {
                throw e.AtIndex(index);
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException)
            {
                // InvalidOperationException: a string that is not Unicode text (bytes that are not UTF-8, an escaped lone surrogate).
                throw new ProtocolException(ErrorCodes.InvalidJson, $"entry {index}: malformed JSON: {e.Message}", index);
            }

            if (reader.BytesConsumed - start > maxEntryBytes)
            {
                throw new ProtocolException(ErrorCodes.TooLarge, $"entry {index}: larger than {maxEntryBytes} bytes", index);
            }
        }
    }

    /// <summary>Reads NDJSON: one entry per line, blank lines skipped.</summary>
    public static List<EntryFields> ReadNdjson(ReadOnlySpan<byte> body, int maxEntryBytes)
    {
        // Sized from the line count (a vectorized scan) so the list is not regrown and copied on its way to a
        // thousand entries; bounded by the shortest valid line, so blank lines cannot inflate it.
        var list = new List<EntryFields>(Math.Min(body.Count((byte)'\n') + 1, (body.Length / MinEntryLineBytes) + 1));
        while (!body.IsEmpty)
        {
            var nl = body.IndexOf((byte)'\n');
            var line = nl < 0 ? body : body[..nl];
            body = nl < 0 ? default : body[(nl + 1)..];
            if (line.Trim(" \t\r"u8).IsEmpty)
            {
                continue;
            }

            var index = list.Count;
            if (line.Length > maxEntryBytes)
            {
                throw new ProtocolException(ErrorCodes.TooLarge, $"entry {index}: larger than {maxEntryBytes} bytes", index);
            }

            try
            {
                var reader = new Utf8JsonReader(line);
                reader.Read();
                list.Add(LogEntryJson.ReadFields(ref reader, line, raw: true));
                if (reader.Read())
                {
                    throw new ProtocolException(ErrorCodes.InvalidJson, "trailing data after the entry on its line");
                }
            }
            catch (ProtocolException e)
            {
                throw e.AtIndex(index);
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException)
            {
                throw new ProtocolException(ErrorCodes.InvalidJson, $"entry {index}: malformed JSON: {e.Message}", index);
            }
        }

        return list;
    }
}
