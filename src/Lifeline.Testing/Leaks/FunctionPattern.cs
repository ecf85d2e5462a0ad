namespace Lifeline.Testing.Leaks;

/// <summary>Matches frames against ignore patterns: <c>Type.Method</c>, <c>Namespace.Type.Method</c>, or a prefix ending in <c>*</c>.</summary>
internal static class FunctionPattern
{
    /// <summary>
    /// The test framework's own infrastructure, and this verifier: never the code under test. xunit's runners
    /// and the test platform host are pending while a test is checked, by design.
    /// </summary>
    public static readonly IReadOnlyList<string> BuiltInIgnores =
    [
        "Xunit.*",
        "Microsoft.VisualStudio.TestPlatform.*",
        "Microsoft.TestPlatform.*",
        "Lifeline.Testing.Leaks.*",
        "Lifeline.Testing.Xunit.*",
        "Lifeline.Testing.XunitV3.*",
    ];

    public static bool Matches(AsyncFrame frame, string pattern)
    {
        if (pattern.EndsWith('*'))
        {
            var prefix = pattern[..^1];
            return frame.FullName.StartsWith(prefix, StringComparison.Ordinal) || frame.Name.StartsWith(prefix, StringComparison.Ordinal);
        }

        return string.Equals(frame.Name, pattern, StringComparison.Ordinal) || string.Equals(frame.FullName, pattern, StringComparison.Ordinal);
    }

    public static bool MatchesAny(AsyncFrame frame, IEnumerable<string> patterns) => patterns.Any(p => Matches(frame, p));

    /// <summary>Whether the options (and built-in ignores) exclude this operation.</summary>
    public static bool IsIgnored(PendingOperation operation, LeakOptions options)
    {
        if (options.UseBuiltInIgnores && MatchesAny(operation.Top, BuiltInIgnores))
        {
            return true;
        }

        return MatchesAny(operation.Top, options.IgnoreTopFunctions)
            || operation.Chain.Any(f => MatchesAny(f, options.IgnoreAnyFunctions));
    }
}
