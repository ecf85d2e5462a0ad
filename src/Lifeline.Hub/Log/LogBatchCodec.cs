using System.Buffers;
using System.Buffers.Binary;
using System.Buffers.Text;
using System.Text;
using System.Text.Json;
using Lifeline.Hub.Core;
using Lifeline.Hub.Storage;
using Lifeline.Protocol;

namespace Lifeline.Hub.Log;

/// <summary>
/// The body of one stream message of the cluster's log: one committed batch, made of the publish requests a node
/// coalesced. Its first id is in the <see cref="FirstIdHeader"/> header; ids follow in order. Layout (little-endian,
/// lengths and counts as 7-bit varints):
/// <code>
/// byte 1 (version) · int64 received ticks · count of requests · per request: entry count, key length + 1 (0: no key), key UTF-8
/// · per entry: int64 timestamp UTC ticks, byte level, source, message, wire JSON after its id, each length-prefixed
/// </code>
/// The wire JSON is encoded once, by the node that appends, without its leading <c>{"id":N,</c>: a body does not depend
/// on the ids, so an append that lost a race is sent again as it is under a new first id. Every node puts the id back in
/// front when it reads the message. Thread-safe (stateless).
/// </summary>
internal static class LogBatchCodec
{
    /// <summary>The header holding the id of the message's first entry.</summary>
    public const string FirstIdHeader = "Lifeline-First-Id";

    private const byte Version = 1;

    /// <summary>What <see cref="LogEntryJson.WriteStored"/> writes first for id 0 (the id is its first property).</summary>
    private static ReadOnlySpan<byte> IdZeroPrefix => "{\"id\":0,"u8;

    private static ReadOnlySpan<byte> IdPrefix => "{\"id\":"u8;

    /// <summary>
    /// Writes the header part of a batch of <paramref name="requests"/> requests; <see cref="WriteRequest"/> follows for
    /// each, then <see cref="WriteEntries"/> for each in the same order.
    /// </summary>
    public static void WriteStart(ArrayBufferWriter<byte> body, long receivedTicks, int requests)
    {
        var span = body.GetSpan(1 + 8);
        span[0] = Version;
        BinaryPrimitives.WriteInt64LittleEndian(span[1..], receivedTicks);
        body.Advance(9);
        WriteVarint(body, (ulong)requests);
    }

    /// <summary>Writes one request's entry count and idempotency key.</summary>
    public static void WriteRequest(ArrayBufferWriter<byte> body, int entries, string? key)
    {
        WriteVarint(body, (ulong)entries);
        if (key is null)
        {
            WriteVarint(body, 0);
            return;
        }

        var bytes = Encoding.UTF8.GetByteCount(key);
        WriteVarint(body, (ulong)bytes + 1);
        body.Advance(Encoding.UTF8.GetBytes(key, body.GetSpan(bytes)));
    }

    /// <summary>Writes <paramref name="entries"/> (their ids are the message's business: see <see cref="Read"/>).</summary>
    public static void WriteEntries(ArrayBufferWriter<byte> body, List<EntryFields> entries, DateTimeOffset now, ArrayBufferWriter<byte> scratch, Utf8JsonWriter json)
    {
        foreach (var f in entries)
        {
            var ts = f.Timestamp ?? now;
            scratch.ResetWrittenCount();
            json.Reset(scratch);
            LogEntryJson.WriteStored(json, 0, ts, f.Level, f.Source, f.Message, f.RawProperties);
            json.Flush();
            if (!scratch.WrittenSpan.StartsWith(IdZeroPrefix))
            {
                throw new InvalidOperationException("an entry's stored JSON does not start with its id");
            }

            var span = body.GetSpan(9);
            BinaryPrimitives.WriteInt64LittleEndian(span, ts.UtcTicks);
            span[8] = (byte)f.Level;
            body.Advance(9);
            WriteString(body, f.Source);
            WriteString(body, f.Message);
            WriteBytes(body, scratch.WrittenSpan[IdZeroPrefix.Length..]);
        }
    }

    /// <summary>
    /// Reads a message written by the methods above: its entries (ids from <paramref name="firstId"/>) into
    /// <paramref name="entries"/>, and the answer of each request that had a key into <paramref name="keys"/>.
    /// Throws <see cref="InvalidDataException"/> when the body is not such a message.
    /// </summary>
    public static void Read(ReadOnlySpan<byte> body, long firstId, List<StoredEntry> entries, List<IdempotencyRecord> keys)
    {
        var reader = new Reader(body);
        if (reader.Byte() != Version)
        {
            throw new InvalidDataException("not a Lifeline batch (unknown version)");
        }

        var received = reader.Int64();
        var requests = (int)reader.Varint();
        var id = firstId;
        for (var i = 0; i < requests; i++)
        {
            var count = (int)reader.Varint();
            var keyLength = (int)reader.Varint();
            if (keyLength > 0)
            {
                var key = Encoding.UTF8.GetString(reader.Bytes(keyLength - 1));
                keys.Add(new IdempotencyRecord(key, new PublishResult(count, count == 0 ? 0 : id, count == 0 ? 0 : id + count - 1), received));
            }

            id += count;
        }

        for (var e = firstId; e < id; e++)
        {
            var ts = new DateTimeOffset(reader.Int64(), TimeSpan.Zero);
            var level = (LogEntryLevel)reader.Byte();
            var source = Encoding.UTF8.GetString(reader.Bytes((int)reader.Varint()));
            var message = Encoding.UTF8.GetString(reader.Bytes((int)reader.Varint()));
            entries.Add(new StoredEntry(e, ts, received, level, source, message, WithId(e, reader.Bytes((int)reader.Varint()))));
        }

        if (!reader.AtEnd)
        {
            throw new InvalidDataException("a Lifeline batch with bytes after its last entry");
        }
    }

    /// <summary>The entry's wire JSON: <c>{"id":</c>, the id, a comma, then the rest as the appending node wrote it.</summary>
    private static byte[] WithId(long id, ReadOnlySpan<byte> rest)
    {
        Span<byte> digits = stackalloc byte[20];
        if (!Utf8Formatter.TryFormat(id, digits, out var length))
        {
            throw new InvalidDataException("an id that does not format");
        }

        var json = new byte[IdPrefix.Length + length + 1 + rest.Length];
        IdPrefix.CopyTo(json);
        digits[..length].CopyTo(json.AsSpan(IdPrefix.Length));
        json[IdPrefix.Length + length] = (byte)',';
        rest.CopyTo(json.AsSpan(IdPrefix.Length + length + 1));
        return json;
    }

    private static void WriteString(ArrayBufferWriter<byte> body, string s)
    {
        var bytes = Encoding.UTF8.GetByteCount(s);
        WriteVarint(body, (ulong)bytes);
        body.Advance(Encoding.UTF8.GetBytes(s, body.GetSpan(bytes)));
    }

    private static void WriteBytes(ArrayBufferWriter<byte> body, ReadOnlySpan<byte> bytes)
    {
        WriteVarint(body, (ulong)bytes.Length);
        body.Write(bytes);
    }

    private static void WriteVarint(ArrayBufferWriter<byte> body, ulong value)
    {
        var span = body.GetSpan(10);
        var i = 0;
        while (value >= 0x80)
        {
            span[i++] = (byte)(value | 0x80);
            value >>= 7;
        }

        span[i++] = (byte)value;
        body.Advance(i);
    }

    private ref struct Reader(ReadOnlySpan<byte> span)
    {
        private ReadOnlySpan<byte> _rest = span;

        public readonly bool AtEnd => _rest.IsEmpty;

        public byte Byte() => Bytes(1)[0];

        public long Int64() => BinaryPrimitives.ReadInt64LittleEndian(Bytes(8));

        public ulong Varint()
        {
            ulong value = 0;
            for (var shift = 0; shift < 64; shift += 7)
            {
                var b = Byte();
                value |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80)
                {
                    return value;
                }
            }

            throw new InvalidDataException("a Lifeline batch with a malformed length");
        }

        public ReadOnlySpan<byte> Bytes(int count)
        {
            if (count < 0 || count > _rest.Length)
            {
                throw new InvalidDataException("a Lifeline batch that ends early");
            }

            var bytes = _rest[..count];
            _rest = _rest[count..];
            return bytes;
        }
    }
}
