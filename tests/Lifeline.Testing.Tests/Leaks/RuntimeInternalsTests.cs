using Lifeline.Testing.Leaks;
using Lifeline.Testing.Xunit;
using Xunit.Sdk;

namespace Lifeline.Testing.Tests.Leaks;

public class RuntimeInternalsTests
{
    /// <summary>
    /// Trips when a runtime update renames or removes an internal the verifier reads (Task.s_currentActiveTasks,
    /// TimerQueue._shortTimers, ...): the message names each missing member.
    /// </summary>
    [Fact]
    public void EveryRuntimeInternalTheVerifierReads_IsPresent()
    {
        Assert.True(RuntimeInternals.IsSupported, RuntimeInternals.UnsupportedReason);
        Assert.Empty(RuntimeInternals.MissingMembers);
        Assert.True(RuntimeInternals.IsTaskTrackingEnabled);
    }

    [Fact]
    public void UnsupportedRuntime_IsSaidOnceNotOncePerTest()
    {
        var diagnostics = new CollectingSink();
        var session = new LeakCheckSession(null, diagnostics);

        var first = session.TakeUnsupportedFailure("unsupported runtime (test): Task.s_currentActiveTasks");
        var second = session.TakeUnsupportedFailure("unsupported runtime (test): Task.s_currentActiveTasks");

        Assert.NotNull(first);
        Assert.StartsWith("unsupported runtime", first.Message, StringComparison.Ordinal);
        Assert.Null(second);
        Assert.Contains("unsupported runtime", Assert.Single(diagnostics.Messages), StringComparison.Ordinal);
    }

    private sealed class CollectingSink : LongLivedMarshalByRefObject, global::Xunit.Abstractions.IMessageSink
    {
        public List<string> Messages { get; } = [];

        public bool OnMessage(global::Xunit.Abstractions.IMessageSinkMessage message)
        {
            if (message is DiagnosticMessage diagnostic)
            {
                Messages.Add(diagnostic.Message);
            }

            return true;
        }
    }
}
