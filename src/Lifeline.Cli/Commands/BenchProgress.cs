#if LIFELINE_BENCH
using System.Globalization;
using Lifeline.Benchmarks.Hub.Load;
using Spectre.Console;

namespace Lifeline.Cli.Commands;

/// <summary>
/// Shows a load run's progress on standard error: a Spectre progress display on a terminal (its refresh thread ends
/// with the run), else one line per phase. Progress reports are applied synchronously; nothing is posted to run later.
/// </summary>
internal sealed class BenchProgress(CliEnvironment environment)
{
    public async Task<HubLoadResult> RunAsync(string name, Func<IProgress<HubLoadProgress>, Task<HubLoadResult>> run)
    {
        if (!environment.ErrorIsTerminal)
        {
            var lines = new PhaseLines(environment.Error, name);
            return await run(lines).ConfigureAwait(false);
        }

        var console = environment.CreateErrorConsole();
        return await console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new SpinnerColumn(), new ElapsedTimeColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask(Markup.Escape(name)).IsIndeterminate();
                var result = await run(new Reporter(p => task.Description = Markup.Escape($"{name}: {Describe(p)}"))).ConfigureAwait(false);
                task.Description = Markup.Escape($"{name}: done");
                task.StopTask();
                return result;
            }).ConfigureAwait(false);
    }

    private static string Describe(HubLoadProgress progress) => progress.PerSecond > 0
        ? string.Create(CultureInfo.InvariantCulture, $"{progress.Phase} {progress.Count:N0} ({progress.PerSecond:N0}/s)")
        : string.Create(CultureInfo.InvariantCulture, $"{progress.Phase} {progress.Count:N0}");

    private sealed class Reporter(Action<HubLoadProgress> report) : IProgress<HubLoadProgress>
    {
        public void Report(HubLoadProgress value) => report(value);
    }

    /// <summary>Plain output: a line when the phase changes. Thread-safe: reports may come from several loops.</summary>
    private sealed class PhaseLines(TextWriter error, string name) : IProgress<HubLoadProgress>
    {
        private readonly Lock _lock = new();
        private string? _phase;

        public void Report(HubLoadProgress value)
        {
            lock (_lock)
            {
                if (value.Phase != _phase)
                {
                    _phase = value.Phase;
                    error.WriteLine($"lifeline: bench {name}: {Describe(value)}");
                }
            }
        }
    }
}
#endif
