using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace Lifeline.Protocol;

/// <summary>
/// The wire names of <see cref="LogEntryLevel"/> (docs/protocol.md, "Log entries"): the hub always sends the canonical
/// lower-case name; on input names match case-insensitively and <c>info</c>, <c>warn</c>, <c>fatal</c> are aliases.
/// </summary>
/// <remarks>All members are thread-safe.</remarks>
public static class LogLevelNames
{
    private static readonly string[] Names = ["trace", "debug", "information", "warning", "error", "critical"];
    private static readonly byte[][] Utf8Names = [.. Names.Select(Encoding.UTF8.GetBytes)];

    /// <summary>The canonical names, indexed by the numeric value of <see cref="LogEntryLevel"/>.</summary>
    public static IReadOnlyList<string> Canonical => Names;

    /// <summary>Returns the canonical wire name of <paramref name="level"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not a defined level.</exception>
    public static string GetName(LogEntryLevel level)
    {
        var i = (int)level;
        if ((uint)i >= (uint)Names.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(level), level, "Not a defined log level.");
        }

        return Names[i];
    }

    /// <summary>Returns the canonical wire name of <paramref name="level"/> as UTF-8.</summary>
    internal static ReadOnlySpan<byte> GetUtf8Name(LogEntryLevel level) => Utf8Names[(int)level];

    /// <summary>Parses a level name or alias, ignoring case.</summary>
    /// <returns><see langword="true"/> when <paramref name="name"/> is a known name or alias.</returns>
    public static bool TryParse([NotNullWhen(true)] string? name, out LogEntryLevel level) => TryParse(name.AsSpan(), out level);

    /// <summary>Parses a level name or alias, ignoring case.</summary>
    /// <returns><see langword="true"/> when <paramref name="name"/> is a known name or alias.</returns>
    public static bool TryParse(ReadOnlySpan<char> name, out LogEntryLevel level)
    {
        Span<char> lower = stackalloc char[12];
        level = LogEntryLevel.Information;
        if (name.Length is 0 or > 11)
        {
            return false;
        }

        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            lower[i] = c is >= 'A' and <= 'Z' ? (char)(c + 32) : c;
        }

        switch (lower[..name.Length])
        {
            case "trace": level = LogEntryLevel.Trace; return true;
            case "debug": level = LogEntryLevel.Debug; return true;
            case "information" or "info": level = LogEntryLevel.Information; return true;
            case "warning" or "warn": level = LogEntryLevel.Warning; return true;
            case "error": level = LogEntryLevel.Error; return true;
            case "critical" or "fatal": level = LogEntryLevel.Critical; return true;
            default: return false;
        }
    }

    /// <summary>Parses a UTF-8 level name or alias, ignoring case.</summary>
    /// <returns><see langword="true"/> when <paramref name="utf8Name"/> is a known name or alias.</returns>
    public static bool TryParse(ReadOnlySpan<byte> utf8Name, out LogEntryLevel level)
    {
        level = LogEntryLevel.Information;
        if (utf8Name.Length is 0 or > 11)
        {
            return false;
        }

        Span<char> chars = stackalloc char[11];
        for (var i = 0; i < utf8Name.Length; i++)
        {
            var b = utf8Name[i];
            if (b >= 0x80)
            {
                return false;
            }

            chars[i] = (char)b;
        }

        return TryParse(chars[..utf8Name.Length], out level);
    }
}
