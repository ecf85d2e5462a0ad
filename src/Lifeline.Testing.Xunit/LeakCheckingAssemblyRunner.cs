using System.Reflection;
using Lifeline.Testing.Leaks;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Lifeline.Testing.Xunit;

/// <summary>
/// xunit's assembly runner, with the run's leak checks handed down to every test and, after the last test,
/// the end-of-run check for work no test can be blamed for (goleak's VerifyTestMain).
/// </summary>
internal sealed class LeakCheckingAssemblyRunner : XunitTestAssemblyRunner
{
    private readonly LeakCheckRun _run;

    public LeakCheckingAssemblyRunner(ITestAssembly testAssembly, IEnumerable<IXunitTestCase> testCases, IMessageSink diagnosticMessageSink, IMessageSink executionMessageSink, ITestFrameworkExecutionOptions executionOptions)
        : base(testAssembly, testCases, diagnosticMessageSink, executionMessageSink, executionOptions)
    {
        var attribute = ((testAssembly.Assembly as IReflectionAssemblyInfo)?.Assembly)?.GetCustomAttribute<VerifyNoLeaksAttribute>();
        _run = new LeakCheckRun(attribute?.ToSettings() ?? new AssemblyLeakSettings(), text => diagnosticMessageSink.OnMessage(new DiagnosticMessage(text)));
    }

    protected override async Task<RunSummary> RunTestCollectionsAsync(IMessageBus messageBus, CancellationTokenSource cancellationTokenSource)
    {
        var summary = await base.RunTestCollectionsAsync(messageBus, cancellationTokenSource).ConfigureAwait(false);
        if (!cancellationTokenSource.IsCancellationRequested && await _run.VerifyEndOfRunAsync(new AssemblyName(TestAssembly.Assembly.Name).Name ?? TestAssembly.Assembly.Name).ConfigureAwait(false) is { } report)
        {
            // Not any one test's failure: an error of the run, which fails it.
            messageBus.QueueMessage(new ErrorMessage(TestCases, new LeakException(report)));
            summary.Failed++;
        }

        return summary;
    }

    protected override Task<RunSummary> RunTestCollectionAsync(IMessageBus messageBus, ITestCollection testCollection, IEnumerable<IXunitTestCase> testCases, CancellationTokenSource cancellationTokenSource)
        => new LeakCheckingCollectionRunner(_run, testCollection, testCases, DiagnosticMessageSink, messageBus, TestCaseOrderer, new ExceptionAggregator(Aggregator), cancellationTokenSource).RunAsync();
}
