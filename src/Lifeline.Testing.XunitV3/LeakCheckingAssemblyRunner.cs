using Lifeline.Testing.Leaks;
using Xunit.Sdk;
using Xunit.v3;

namespace Lifeline.Testing.Xunit;

/// <summary>xunit.v3's assembly runner, with the end-of-run check after the last test (goleak's VerifyTestMain).</summary>
internal sealed class LeakCheckingAssemblyRunner(LeakCheckRun run) : XunitTestAssemblyRunner
{
    protected override async ValueTask<RunSummary> RunTestCollections(XunitTestAssemblyRunnerContext ctxt, Exception? exception)
    {
        ArgumentNullException.ThrowIfNull(ctxt);
        var summary = await base.RunTestCollections(ctxt, exception).ConfigureAwait(false);
        if (!ctxt.CancellationTokenSource.IsCancellationRequested
            && await run.VerifyEndOfRunAsync(ctxt.TestAssembly.Assembly.GetName().Name ?? "?").ConfigureAwait(false) is { } report)
        {
            // Not any one test's failure: an error of the run, which fails it (xunit.v3 counts errors apart from failed tests).
            ctxt.MessageBus.QueueMessage(ErrorMessage.FromException(new LeakException(report), ctxt.TestAssembly.UniqueID));
        }

        return summary;
    }
}
