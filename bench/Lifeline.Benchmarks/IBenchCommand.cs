namespace Lifeline.Benchmarks;

/// <summary>
/// A bounded console benchmark run by name: it starts what it measures on 127.0.0.1, runs for a fixed count or
/// time, prints its figures, stops everything it started and returns an exit code.
/// </summary>
public interface IBenchCommand
{
    /// <summary>The name on the command line.</summary>
    string Name { get; }

    /// <summary>One line on what it measures.</summary>
    string Description { get; }

    /// <summary>Runs the benchmark.</summary>
    Task<int> RunAsync(string[] args);
}
