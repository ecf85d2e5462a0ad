namespace Lifeline.Tests.Shared;

/// <summary>The repository the tests were built from: the first folder above the test binaries with Lifeline.slnx.</summary>
internal static class Repository
{
    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Lifeline.slnx")))
            {
                return directory.FullName;
            }
        }

        throw new DirectoryNotFoundException("Lifeline.slnx not found above " + AppContext.BaseDirectory);
    }
}
