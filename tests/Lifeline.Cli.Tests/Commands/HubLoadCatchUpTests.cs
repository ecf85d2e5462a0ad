#if LIFELINE_BENCH
using Lifeline.Benchmarks.Hub.Load;
using Lifeline.Testing.Tasks;

namespace Lifeline.Cli.Tests.Commands;

/// <summary>The hub load runner's catch-up scenario stops filling at its entry count whether or not progress is reported.</summary>
public class HubLoadCatchUpTests
{
    private const int Entries = 20_000;

    [Fact]
    public async Task CatchUp_WithoutProgress_StopsFillingAtTheEntryCount_AndCatchesUp()
    {
        // Regression: the fill loop counted acknowledged entries inside `progress?.Report(...)`, so with no progress
        // nothing was counted and the publishers posted until the 3-minute phase deadline cancelled them.
        var options = new HubLoadOptions { Scenario = HubLoadScenario.CatchUp, CatchUpEntries = Entries, Publishers = 2, BatchSize = 1_000 };

        var result = await HubLoadRunner.RunAsync(options, progress: null, CancellationToken.None).OrTimeout(TimeSpan.FromSeconds(90));

        // Each of the 2 publishers may have one batch in flight when the count is reached.
        Assert.InRange(result.Entries, Entries, Entries + (2 * 1_000));
        Assert.Equal(0, result.Failures);
    }
}
#endif
