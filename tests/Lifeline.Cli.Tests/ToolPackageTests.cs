using System.Diagnostics;
using System.IO.Compression;
using System.Reflection;
using System.Xml.Linq;
using Lifeline.Testing.Tasks;
using Lifeline.Tests.Shared;

namespace Lifeline.Cli.Tests;

/// <summary>
/// Issue 15 points 2 and 3: <c>lifeline</c> as a .NET tool, the way the README installs it: packed from the build
/// the tests run on (<c>dotnet pack --no-build</c>, once), installed into a temporary tool path from that local
/// package alone, then run as a user would. Every child process is bounded by a timeout and gone when the test ends.
/// </summary>
public sealed class ToolPackageTests : IDisposable
{
    /// <summary>Most of the package is SQLite's native library: 8 platforms of about 1.7 MB each, compressed to about 7 MB.</summary>
    private const long MaxPackageBytes = 10 * 1024 * 1024;

    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("lifeline-tool-");

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public async Task Tool_PackedAndInstalled_RunsVersionAndDemo()
    {
        var packages = Path.Combine(_dir.FullName, "packages");
        var configuration = typeof(ToolPackageTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()!.Configuration;
        var project = Path.Combine(Repository.Root, "src", "Lifeline.Cli", "Lifeline.Cli.csproj");

        await RunAsync(Dotnet(), ["pack", project, "-c", configuration, "--no-build", "-o", packages], TimeSpan.FromMinutes(5));
        var package = Assert.Single(Directory.GetFiles(packages, "Lifeline.Cli.*.nupkg"));
        AssertMetadata(package);

        // Only the local package as a source: the install proves the package is whole, and needs no registry.
        var config = Path.Combine(_dir.FullName, "nuget.config");
        await File.WriteAllTextAsync(config, $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration><packageSources><clear /><add key="local" value="{packages}" /></packageSources></configuration>
            """);
        var tools = Path.Combine(_dir.FullName, "tools");
        await RunAsync(Dotnet(), ["tool", "install", "Lifeline.Cli", "--tool-path", tools, "--configfile", config], TimeSpan.FromMinutes(3));
        var lifeline = Path.Combine(tools, OperatingSystem.IsWindows() ? "lifeline.exe" : "lifeline");

        var version = await RunAsync(lifeline, ["--version"], TimeSpan.FromSeconds(60));
        Assert.StartsWith(typeof(CliApp).Assembly.GetName().Version!.ToString(3), version.Trim());

        var demo = new ProcessStartInfo(lifeline);
        foreach (var arg in new[] { "demo", "--port", "0", "--rate", "50" })
        {
            demo.ArgumentList.Add(arg);
        }

        SetEnvironment(demo);
        // SIGTERM, not SIGINT: a shell starts background jobs (a CI run may be one) with SIGINT ignored, and children inherit that.
        var (exitCode, output, error) = await DemoProcess.RunAndStopAsync(demo, "-TERM");
        Assert.True(exitCode == 0, $"exit {exitCode}: {string.Join('\n', output)}\n{error}");
        Assert.Equal(["stopping...", "stopped"], output[^2..]);
    }

    /// <summary>Licence, readme, tags and a repository entry (issue 15 point 3), and no native SQLite for platforms .NET does not ship for.</summary>
    private static void AssertMetadata(string package)
    {
        Assert.True(new FileInfo(package).Length < MaxPackageBytes, $"{package} is {new FileInfo(package).Length:N0} bytes");
        using var zip = ZipFile.OpenRead(package);
        using var nuspecStream = zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open();
        var metadata = XDocument.Load(nuspecStream).Root!.Elements().Single(e => e.Name.LocalName == "metadata");
        string? Value(string name) => metadata.Elements().SingleOrDefault(e => e.Name.LocalName == name)?.Value;

        Assert.Equal("MIT", Value("license"));
        Assert.Equal("README.md", Value("readme"));
        Assert.Contains(zip.Entries, e => e.FullName == "README.md");
        Assert.Contains("dotnet-tool", Value("tags"), StringComparison.Ordinal);
        Assert.NotNull(metadata.Elements().SingleOrDefault(e => e.Name.LocalName == "repository"));
        var platforms = zip.Entries.Where(e => e.FullName.Contains("/runtimes/", StringComparison.Ordinal)).Select(e => e.FullName.Split("/runtimes/")[1].Split('/')[0]).Distinct().Order();
        Assert.Equal(["linux-arm64", "linux-musl-arm64", "linux-musl-x64", "linux-x64", "osx-arm64", "osx-x64", "win-arm64", "win-x64"], platforms);
    }

    /// <summary>Runs a command to its end within <paramref name="timeout"/> (killed otherwise); asserts exit 0 and returns standard output.</summary>
    private static async Task<string> RunAsync(string file, string[] args, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        SetEnvironment(start);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(timeout);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync().OrTimeout(TimeSpan.FromSeconds(30));
            }
        }

        var (stdout, stderr) = (await output.OrTimeout(TimeSpan.FromSeconds(30)), await error.OrTimeout(TimeSpan.FromSeconds(30)));
        Assert.True(process.ExitCode == 0, $"{file} {string.Join(' ', args)}: exit {process.ExitCode}\n{stdout}\n{stderr}");
        return stdout;
    }

    /// <summary>
    /// The child sees neither the test host's MSBuild variables (they would point a nested build at this one's state)
    /// nor this shell's hub; the tool's launcher finds the same .NET as the tests (DOTNET_ROOT).
    /// </summary>
    private static void SetEnvironment(ProcessStartInfo start)
    {
        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase) || k.StartsWith("LIFELINE_", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(name);
        }

        start.Environment["DOTNET_ROOT"] = Path.GetDirectoryName(Dotnet());
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
    }

    /// <summary>The dotnet executable running these tests (resolved through its symbolic link to the installation).</summary>
    private static string Dotnet()
    {
        var path = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host
            : Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet" ? Environment.ProcessPath!
            : "/usr/bin/dotnet";
        return new FileInfo(path).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? path;
    }
}
