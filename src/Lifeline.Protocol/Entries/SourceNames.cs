using System.Text.Json;

namespace Lifeline.Protocol;

/// <summary>
/// Shares the <c>source</c> strings of ingested entries: sources are few (services, logger categories) and repeat on
/// every entry, so the hub keeps one string per source instead of one per entry. A direct-mapped cache of
/// <see cref="Slots"/> slots keyed by the source's UTF-8 bytes; a collision only costs a fresh string. Thread-safe:
/// a slot is an immutable pair replaced whole, so a reader sees either the old or the new pair.
/// </summary>
internal static class SourceNames
{
    /// <summary>The number of slots (a power of two); at most this many sources are shared at once.</summary>
    public const int Slots = 256;

    private static readonly Slot?[] Cache = new Slot?[Slots];

    /// <summary>The source string of the reader's current (string) token, shared when seen before.</summary>
    /// <exception cref="InvalidOperationException">The token is not valid UTF-8 (as <see cref="Utf8JsonReader.GetString"/>).</exception>
    public static string Get(ref Utf8JsonReader reader)
    {
        // Escaped or split tokens are decoded as usual; so are names too long to be valid (the caller rejects them).
        if (reader.ValueIsEscaped || reader.HasValueSequence || reader.ValueSpan.Length > LogEntry.MaxSourceLength)
        {
            return reader.GetString()!;
        }

        var utf8 = reader.ValueSpan;
        var hash = default(HashCode);
        hash.AddBytes(utf8);
        var index = hash.ToHashCode() & (Slots - 1);
        if (Volatile.Read(ref Cache[index]) is { } slot && utf8.SequenceEqual(slot.Utf8))
        {
            return slot.Value;
        }

        // GetString validates the UTF-8, so only valid names are cached.
        var value = reader.GetString()!;
        Volatile.Write(ref Cache[index], new Slot(utf8.ToArray(), value));
        return value;
    }

    private sealed record Slot(byte[] Utf8, string Value);
}
