using System.Text;
using System.Text.Json;
using Lifeline.Cli.Generator;
using Lifeline.Testing.Tasks;
using Lifeline.Testing.Time;

namespace Lifeline.Cli.Tests.Generator;

public class SyntheticLogGeneratorTests
{
    [Fact]
    public void SteadyTicks_CoverEveryLevelAndSeveralSources()
    {
        var time = new ManualTimeProvider();
        var generator = new SyntheticLogGenerator(new LogGeneratorOptions { Rate = 400, Tick = TimeSpan.FromSeconds(1), BurstEvery = TimeSpan.Zero, Seed = 7, Time = time });

        var entries = Enumerable.Range(0, 5).SelectMany(_ => { time.Advance(TimeSpan.FromSeconds(1)); return generator.NextTick(); }).ToList();

        Assert.Equal(2000, entries.Count);
        Assert.Equal(["critical", "debug", "error", "information", "trace", "warning"], entries.Select(e => e.Level).Distinct().Order());
        Assert.True(entries.Select(e => e.Source).Distinct().Count() >= 4);
        Assert.True(entries.Count(e => e.Level == "information") > entries.Count(e => e.Level == "error"), "information dominates, as in real logs");
    }

    [Fact]
    public void Rate_FractionsCarryOverBetweenTicks()
    {
        var time = new ManualTimeProvider();
        var generator = new SyntheticLogGenerator(new LogGeneratorOptions { Rate = 10, Tick = TimeSpan.FromMilliseconds(250), BurstEvery = TimeSpan.Zero, Time = time });

        var counts = Enumerable.Range(0, 4).Select(_ => generator.NextTick().Count).ToList();

        Assert.Equal([2, 3, 2, 3], counts); // 2.5 per tick
    }

    [Fact]
    public void Burst_ArrivesWhenDue_FromOneSourceAtErrorLevels()
    {
        var time = new ManualTimeProvider();
        var generator = new SyntheticLogGenerator(new LogGeneratorOptions { Rate = 4, Tick = TimeSpan.FromSeconds(1), BurstEvery = TimeSpan.FromSeconds(10), BurstSize = 100, Seed = 1, Time = time });

        time.Advance(TimeSpan.FromSeconds(9));
        Assert.Equal(4, generator.NextTick().Count);
        time.Advance(TimeSpan.FromSeconds(1));
        var burst = generator.NextTick().Skip(4).ToList();

        Assert.Equal(100, burst.Count);
        Assert.Single(burst.Select(e => e.Source).Distinct());
        Assert.All(burst, e => Assert.Contains(e.Level, new[] { "warning", "error", "critical" }));
        Assert.Contains(burst, e => e.Level == "critical");
    }

    [Fact]
    public async Task RunAsync_PublishesNdjsonEachTick_UntilCancelled()
    {
        var time = new ManualTimeProvider();
        var generator = new SyntheticLogGenerator(new LogGeneratorOptions { Rate = 8, Tick = TimeSpan.FromMilliseconds(250), BurstEvery = TimeSpan.Zero, Time = time });
        var published = new List<string>();
        var second = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var cts = new CancellationTokenSource();

        var run = generator.RunAsync(
            (body, _) =>
            {
                published.Add(Encoding.UTF8.GetString(body.Span));
                if (published.Count == 2)
                {
                    second.TrySetResult();
                }

                return Task.CompletedTask;
            },
            onError: null,
            cts.Token);
        await time.WaitForTimersAsync(1).OrTimeout();
        time.Advance(TimeSpan.FromMilliseconds(250));
        await time.WaitForTimersAsync(1).OrTimeout();
        time.Advance(TimeSpan.FromMilliseconds(250));
        await second.Task.OrTimeout();
        await cts.CancelAsync();
        await run.OrTimeout();

        var lines = published.SelectMany(b => b.Split('\n', StringSplitOptions.RemoveEmptyEntries)).ToList();
        Assert.Equal(4, lines.Count);
        Assert.All(lines, line =>
        {
            using var entry = JsonDocument.Parse(line);
            Assert.False(string.IsNullOrEmpty(entry.RootElement.GetProperty("message").GetString()));
            Assert.Equal(JsonValueKind.Object, entry.RootElement.GetProperty("props").ValueKind);
        });
    }
}
