using System.Collections.Concurrent;
using Lifeline.Testing.Samples;
using Lifeline.Testing.Xunit;
using Xunit.Abstractions;

namespace Lifeline.Testing.Tests.Xunit;

/// <summary>
/// Runs the sample assembly (tests that leak on purpose) through the real xunit pipeline with the leak-checking
/// framework, in parallel, in-process, and checks the verdict on every sample.
/// </summary>
[Collection(nameof(SampleRunCollection))]
public class LeakCheckingTestFrameworkTests
{
    [Fact]
    public async Task SampleRun_FailsExactlyTheLeakyTests_NamingWhatEachLeft()
    {
        var run = await SampleRun.RunAsync();
        try
        {
            Assert.True(SampleControl.Overlapped, "the leaky and the clean sample did not run at the same time");

            SampleVerdicts.AssertTests(run.Failures, run.Passed);
        }
        finally
        {
            await SampleControl.EndLeaksAsync();
        }
    }

    /// <summary>
    /// Regression: the end-of-run check reported again every leak already blamed on a failed test, and the work of
    /// tests whose [LeakCheck] opted out (Enabled = false, IgnoreAnyFunctions, Timers = Exclude), so a run of passing
    /// opt-out tests failed. It reports only what no test can be blamed for.
    /// </summary>
    [Fact]
    public async Task SampleRun_EndOfRunCheck_ReportsOnlyWhatNoTestCanBeBlamedFor()
    {
        var run = await SampleRun.RunAsync();
        try
        {
            Assert.Equal(SampleVerdicts.EndOfRunError("Lifeline.Testing.Samples"), Assert.Single(run.Errors));
        }
        finally
        {
            await SampleControl.EndLeaksAsync();
        }
    }
}

/// <summary>The two sample runs share static sample state, so they never run at the same time.</summary>
[CollectionDefinition(nameof(SampleRunCollection), DisableParallelization = true)]
public sealed class SampleRunCollection;

/// <summary>One in-process run of the sample assembly and what it reported.</summary>
internal sealed class SampleRun : LongLivedMarshalByRefObject, IMessageSink
{
    private readonly TaskCompletionSource _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ConcurrentDictionary<string, string> Failures { get; } = new();

    public ConcurrentBag<string> Passed { get; } = [];

    public ConcurrentBag<string> Errors { get; } = [];

    public static async Task<SampleRun> RunAsync()
    {
        SampleControl.Reset();
        var run = new SampleRun();
        var assembly = typeof(SampleControl).Assembly.GetName();
        using var framework = new LeakCheckingTestFramework(new NullMessageSink());
        using var executor = framework.GetExecutor(assembly);
        var options = new Options();
        options.SetValue("xunit.execution.MaxParallelThreads", 4);
        options.SetValue("xunit.execution.DisableParallelization", false);
        executor.RunAll(run, options, options);
        await run._finished.Task.WaitAsync(TimeSpan.FromSeconds(60));
        return run;
    }

    public bool OnMessage(IMessageSinkMessage message)
    {
        switch (message)
        {
            case ITestFailed failed:
                Failures[failed.Test.DisplayName] = string.Join(" | ", failed.Messages);
                break;
            case ITestPassed passed:
                Passed.Add(passed.Test.DisplayName);
                break;
            case IErrorMessage error:
                Errors.Add(string.Join(" | ", error.Messages));
                break;
            case ITestAssemblyFinished:
                _finished.TrySetResult();
                break;
        }

        return true;
    }

    private sealed class NullMessageSink : LongLivedMarshalByRefObject, IMessageSink
    {
        public bool OnMessage(IMessageSinkMessage message) => true;
    }

    private sealed class Options : LongLivedMarshalByRefObject, ITestFrameworkDiscoveryOptions, ITestFrameworkExecutionOptions
    {
        private readonly Dictionary<string, object?> _values = [];

        public TValue GetValue<TValue>(string name) => _values.TryGetValue(name, out var value) && value is TValue typed ? typed : default!;

        public void SetValue<TValue>(string name, TValue value) => _values[name] = value;
    }
}
