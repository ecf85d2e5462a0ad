using System.Diagnostics;
using Lifeline.Testing.Tasks;

namespace Lifeline.Cli.Tests;

/// <summary>The built <c>lifeline</c> program as a real process: exit codes and streams as a shell sees them.</summary>
public class ProcessTests
{
    private static async Task<CliResult> RunProcessAsync(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "lifeline.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment.Remove("LIFELINE_URL");
        start.Environment.Remove("LIFELINE_KEY");
        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().OrTimeout(TimeSpan.FromSeconds(60));
        }
        catch (TimeoutException)
        {
            // A command that should have exited keeps running: stop it, so the failure leaves no process behind.
            process.Kill(entireProcessTree: true);
            throw;
        }

        return new CliResult(process.ExitCode, await output.OrTimeout(), await error.OrTimeout());
    }

    [Fact]
    public async Task Help_AsAProcess_ExitsZeroWithExamples()
    {
        var result = await RunProcessAsync("tail", "--help");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("lifeline tail --level warning", result.Out);
    }

    /// <summary>Regression (issue 11, point 7): the hub started with no keys (every request 401) instead of refusing the file.</summary>
    [Fact]
    public async Task ServeWithKeysFileNotJson_AsAProcess_OneLineNamingFileAndError_Exit2()
    {
        var dir = Directory.CreateTempSubdirectory("lifeline-badkeys-");
        try
        {
            var file = Path.Combine(dir.FullName, "keys.json");
            await File.WriteAllTextAsync(file, "{\"keys\":[{\"id\":\"a\" \"key\":\"s\"}]}");

            var result = await RunProcessAsync("serve", "--keys", file, "--urls", "http://127.0.0.1:0");

            Assert.Equal(2, result.ExitCode);
            var line = Assert.Single(result.ErrorLines);
            Assert.StartsWith($"lifeline: keys file '{file}' is invalid: ", line);
            Assert.Contains("LineNumber: 0 | BytePositionInLine: ", line);
            Assert.Equal(string.Empty, result.Out);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task ConnectionRefused_AsAProcess_OneLineNoStackTrace()
    {
        var url = Ports.RefusingUrl();

        var result = await RunProcessAsync("stats", "--url", url);

        Assert.Equal(3, result.ExitCode);
        Assert.Equal($"lifeline: cannot reach the hub at {url}: connection refused (is it running? start one with 'lifeline serve' or 'lifeline demo')", Assert.Single(result.ErrorLines));
        Assert.Equal(string.Empty, result.Out);
    }

    [Fact]
    public async Task Demo_AsAProcess_SigtermStopsGracefully_ExitZero()
    {
        var start = new ProcessStartInfo("dotnet");
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "lifeline.dll"), "demo", "--port", "0", "--rate", "50" })
        {
            start.ArgumentList.Add(arg);
        }

        // SIGTERM, as a service manager stops it (Ctrl+C's SIGINT takes the same path).
        var (exitCode, output, error) = await DemoProcess.RunAndStopAsync(start, "-TERM");

        Assert.True(exitCode == 0, $"exit {exitCode}: {string.Join('\n', output)}\n{error}");
        Assert.Equal(["stopping...", "stopped"], output[^2..]);
    }
}
