namespace Lifeline.Cli.Generator;

/// <summary>Settings of the synthetic log generator that <c>lifeline demo</c> runs. Immutable once the generator starts.</summary>
internal sealed record LogGeneratorOptions
{
    /// <summary>Steady entries per second, spread over ticks. Default 20.</summary>
    public double Rate { get; init; } = 20;

    /// <summary>How often the generator publishes. Default 250 ms.</summary>
    public TimeSpan Tick { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>A burst (one source failing loudly) starts this often. Default 20 s; zero disables bursts.</summary>
    public TimeSpan BurstEvery { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>Entries in one burst, added to the tick it falls on. Default 300.</summary>
    public int BurstSize { get; init; } = 300;

    /// <summary>Seed for repeatable output (tests); null: a random seed.</summary>
    public int? Seed { get; init; }

    public TimeProvider Time { get; init; } = TimeProvider.System;

    public void Validate()
    {
        if (Rate is < 0 or > 1_000_000 || Tick <= TimeSpan.Zero || BurstEvery < TimeSpan.Zero || BurstSize < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(LogGeneratorOptions), "rate 0..1000000, tick > 0, burst interval >= 0 and burst size >= 0");
        }
    }
}
