using Lifeline.Testing.Leaks;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Lifeline.Testing.Xunit;

/// <summary>
/// xunit's method runner, running facts and theories through leak-checking test-case runners. Test cases of
/// other kinds (from third-party discoverers, or error placeholders) run as xunit would, unchecked.
/// </summary>
internal sealed class LeakCheckingMethodRunner : XunitTestMethodRunner
{
    private readonly LeakCheckRun _run;
    private readonly IMessageSink _diagnosticMessageSink;
    private readonly object[] _constructorArguments;

    public LeakCheckingMethodRunner(LeakCheckRun run, ITestMethod testMethod, IReflectionTypeInfo @class, IReflectionMethodInfo method, IEnumerable<IXunitTestCase> testCases, IMessageSink diagnosticMessageSink, IMessageBus messageBus, ExceptionAggregator aggregator, CancellationTokenSource cancellationTokenSource, object[] constructorArguments)
        : base(testMethod, @class, method, testCases, diagnosticMessageSink, messageBus, aggregator, cancellationTokenSource, constructorArguments)
    {
        _run = run;
        _diagnosticMessageSink = diagnosticMessageSink;
        _constructorArguments = constructorArguments;
    }

    protected override Task<RunSummary> RunTestCaseAsync(IXunitTestCase testCase)
    {
        // Every fact and theory runs in its own scope, even with its check off (LeakCheckRun says why).
        var check = _run;
        var aggregator = new ExceptionAggregator(Aggregator);
        if (testCase.GetType() == typeof(XunitTheoryTestCase))
        {
            return new LeakCheckingTheoryTestCaseRunner(check, testCase, testCase.DisplayName, testCase.SkipReason, _constructorArguments, _diagnosticMessageSink, MessageBus, aggregator, CancellationTokenSource).RunAsync();
        }

        if (testCase.GetType() == typeof(XunitTestCase))
        {
            return new LeakCheckingTestCaseRunner(check, testCase, testCase.DisplayName, testCase.SkipReason, _constructorArguments, testCase.TestMethodArguments, MessageBus, aggregator, CancellationTokenSource).RunAsync();
        }

        return base.RunTestCaseAsync(testCase);
    }
}
