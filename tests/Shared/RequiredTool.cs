using Lifeline.LocalNats;

namespace Lifeline.Tests.Shared;

/// <summary>
/// Finds an external program a test needs (a browser, node) on PATH or in an override variable. When it is missing
/// the test fails with one line naming what to install, before it starts anything it would have to stop, so a
/// machine without the program loses that test and nothing else (.ci/install installs every one of them).
/// </summary>
internal static class RequiredTool
{
    /// <summary>
    /// The full path of the first of <paramref name="names"/> found on PATH, or the value of
    /// <paramref name="overrideVariable"/> when it is set; fails the test with <paramref name="install"/> otherwise.
    /// </summary>
    public static string Find(string overrideVariable, string install, params string[] names)
    {
        var chosen = Environment.GetEnvironmentVariable(overrideVariable);
        if (!string.IsNullOrWhiteSpace(chosen))
        {
            if (!File.Exists(chosen))
            {
                Missing($"{overrideVariable}={chosen} does not exist");
            }

            return chosen;
        }

        if (ProgramLookup.OnPath(Environment.GetEnvironmentVariable("PATH"), names) is { } found)
        {
            return found;
        }

        Missing($"{string.Join(" or ", names)} not found on PATH: run bash .ci/install ({install}), or set {overrideVariable}");
        return string.Empty;
    }

    /// <summary>Fails the test with <paramref name="install"/> unless <paramref name="directory"/> exists.</summary>
    public static void RequireDirectory(string directory, string install)
    {
        if (!Directory.Exists(directory))
        {
            Missing($"{directory} is missing: run bash .ci/install ({install})");
        }
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void Missing(string message) => Assert.Fail($"missing test dependency: {message}");
}
