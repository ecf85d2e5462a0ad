namespace Lifeline.LocalNats;

/// <summary>
/// Finds an external program (nats-server, a browser, node) the way a shell would: the first directory of PATH that
/// holds one of the names. Shared by <c>lifeline cluster-demo</c>, the tests' <c>RequiredTool</c> and the benchmarks,
/// which differ only in how they say it is missing. Thread-safe.
/// </summary>
internal static class ProgramLookup
{
    /// <summary>
    /// The full path of the first of <paramref name="names"/> found in the directories of <paramref name="path"/> (PATH's
    /// value), directory by directory, or <see langword="null"/> when none is there.
    /// </summary>
    public static string? OnPath(string? path, params string[] names) =>
        (path ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .SelectMany(directory => names.Select(name => Path.Combine(directory, name)))
            .FirstOrDefault(File.Exists);
}
