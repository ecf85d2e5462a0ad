using System.Text.RegularExpressions;

namespace Lifeline.Cli.Tests.Commands;

/// <summary>Issue 5 point 6: <c>lifeline bench</c> runs the hub's load scenarios with progress and prints the figures.</summary>
public class BenchTests
{
    private static bool RunnerCompiledIn => typeof(CliApp).Assembly.GetType("Lifeline.Benchmarks.Hub.Load.HubLoadRunner") is not null;

    [Fact]
    public async Task Bench_IngestScenario_ShowsProgress_PrintsFigures()
    {
        var result = await CliRunner.RunOnceAsync("bench", "ingest-memory", "--seconds", "2");

        if (!RunnerCompiledIn)
        {
            // A build without bench/Lifeline.Benchmarks/Hub/Load still answers in one line.
            Assert.Equal(1, result.ExitCode);
            Assert.StartsWith("lifeline: this build of lifeline has no hub load runner", Assert.Single(result.ErrorLines));
            return;
        }

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("lifeline: bench ingest-memory: ", result.Error);
        // The figure itself depends on the machine: a row with a number (or "-" if nothing was acknowledged in time).
        Assert.Matches(@"\|\s+ingest-memory \|\s+([\d,]+|-) \|", result.Out);
        Assert.Matches(@"\| failures \|\r?\n", result.Out);
        Assert.Matches(@"\|\s+0 \|\r?\n\+", result.Out); // no failed subscriber or publisher
    }

    [Fact]
    public async Task Bench_UnknownScenario_OneLineUsageError()
    {
        var result = await CliRunner.RunOnceAsync("bench", "warp-speed");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("warp-speed", Assert.Single(result.ErrorLines));
    }
}
