namespace Lifeline.Testing.XunitV3.Tests;

/// <summary>
/// A project that references the wrong xunit flavour's leak verifier fails to build, naming the fix, instead of
/// compiling a [assembly: VerifyNoLeaks] that the other xunit ignores. Each package ships its check in buildTransitive.
/// </summary>
public class FlavourGuardTests
{
    [Theory]
    [InlineData("Lifeline.Testing.XunitV3", "xunit", "LIFELINE002")]
    [InlineData("Lifeline.Testing.XunitV3", "xunit.extensibility.core", "LIFELINE002")]
    [InlineData("Lifeline.Testing.Xunit", "xunit.v3", "LIFELINE001")]
    [InlineData("Lifeline.Testing.Xunit", "xunit.v3.mtp-off", "LIFELINE001")]
    public async Task WrongFlavour_FailsTheBuild_NamingThePackageToUse(string package, string xunitPackage, string code)
    {
        var (exitCode, output) = await CheckAsync(package, xunitPackage);

        Assert.NotEqual(0, exitCode);
        Assert.Contains($"error {code}", output, StringComparison.Ordinal);
        Assert.Contains(xunitPackage, output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Lifeline.Testing.XunitV3", "xunit.v3.mtp-off")]
    [InlineData("Lifeline.Testing.Xunit", "xunit")]
    public async Task RightFlavour_Builds(string package, string xunitPackage)
    {
        var (exitCode, output) = await CheckAsync(package, xunitPackage);

        Assert.True(exitCode == 0, output);
    }

    private static async Task<(int ExitCode, string Output)> CheckAsync(string package, string xunitPackage)
    {
        var targets = Path.GetFullPath(Path.Combine(ChildProcess.Metadata("RepositoryRoot"), "src", package, "buildTransitive", $"{package}.targets"));
        var directory = Directory.CreateTempSubdirectory("lifeline-flavour-");
        try
        {
            // Only the check runs (no restore, no compile): a project as a consumer's, with the package's targets imported.
            var project = Path.Combine(directory.FullName, "Consumer.proj");
            await File.WriteAllTextAsync(project, $"""
                <Project>
                  <ItemGroup><PackageReference Include="{xunitPackage}" /></ItemGroup>
                  <Target Name="Build" />
                  <Import Project="{targets}" />
                </Project>
                """);
            var target = package.EndsWith("V3", StringComparison.Ordinal) ? "LifelineTestingXunitV3FlavourCheck" : "LifelineTestingXunitFlavourCheck";
            return await ChildProcess.RunAsync("dotnet", ["msbuild", project, $"-t:{target}", "-nologo", "-v:q"], TimeSpan.FromSeconds(120));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }
}
