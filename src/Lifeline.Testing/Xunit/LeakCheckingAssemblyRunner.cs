using Lifeline.Testing.Leaks;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Lifeline.Testing.Xunit;

/// <summary>
/// xunit's assembly runner, with the session's settings handed down to every test and, after the last test,
/// the end-of-run check for work no test can be blamed for (goleak's VerifyTestMain).
/// </summary>
internal sealed class LeakCheckingAssemblyRunner : XunitTestAssemblyRunner
{
    private readonly LeakCheckSession _session;

    public LeakCheckingAssemblyRunner(ITestAssembly testAssembly, IEnumerable<IXunitTestCase> testCases, IMessageSink diagnosticMessageSink, IMessageSink executionMessageSink, ITestFrameworkExecutionOptions executionOptions)
        : base(testAssembly, testCases, diagnosticMessageSink, executionMessageSink, executionOptions)
    {
        _session = LeakCheckSession.For(testAssembly, diagnosticMessageSink);
    }

    protected override async Task<RunSummary> RunTestCollectionsAsync(IMessageBus messageBus, CancellationTokenSource cancellationTokenSource)
    {
        var summary = await base.RunTestCollectionsAsync(messageBus, cancellationTokenSource).ConfigureAwait(false);
        if (_session.AssemblySettings.VerifyAtEndOfRun && LeakVerifier.IsSupported && !cancellationTokenSource.IsCancellationRequested)
        {
            var options = new LeakOptions { Timeout = TimeSpan.FromMilliseconds(_session.AssemblySettings.TimeoutMilliseconds), IncludeTimers = _session.AssemblySettings.IncludeTimers, IgnoreTopFunctions = _session.AssemblySettings.IgnoreTopFunctions };
            var report = await LeakVerifier.VerifyAllAsync($"the test run of {TestAssembly.Assembly.Name} (end-of-run check)", options).ConfigureAwait(false);
            if (report.HasLeaks)
            {
                // Not any one test's failure: an error of the run, which fails it.
                messageBus.QueueMessage(new ErrorMessage(TestCases, new LeakException(report)));
                summary.Failed++;
            }
        }

        return summary;
    }

    protected override Task<RunSummary> RunTestCollectionAsync(IMessageBus messageBus, ITestCollection testCollection, IEnumerable<IXunitTestCase> testCases, CancellationTokenSource cancellationTokenSource)
        => new LeakCheckingCollectionRunner(_session, testCollection, testCases, DiagnosticMessageSink, messageBus, TestCaseOrderer, new ExceptionAggregator(Aggregator), cancellationTokenSource).RunAsync();
}
