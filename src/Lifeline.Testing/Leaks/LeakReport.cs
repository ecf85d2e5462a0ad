using System.Text;

namespace Lifeline.Testing.Leaks;

/// <summary>The outcome of a leak check: what was still pending when the check gave up waiting.</summary>
public sealed class LeakReport
{
    internal LeakReport(string scopeName, IReadOnlyList<PendingOperation> operations, string? unsupportedReason = null)
    {
        ScopeName = scopeName;
        Operations = operations;
        UnsupportedReason = unsupportedReason;
    }

    /// <summary>The scope (test) that was checked.</summary>
    public string ScopeName { get; }

    /// <summary>The operations still pending; empty when the scope is clean.</summary>
    public IReadOnlyList<PendingOperation> Operations { get; }

    /// <summary>Set when the check could not run because the runtime lacks the internals it reads.</summary>
    public string? UnsupportedReason { get; }

    /// <summary>Whether anything was still pending.</summary>
    public bool HasLeaks => Operations.Count > 0;

    /// <summary>Throws <see cref="LeakException"/> if anything was still pending.</summary>
    public void ThrowIfLeaked()
    {
        if (HasLeaks)
        {
            throw new LeakException(this);
        }
    }

    /// <summary>
    /// The failure message: <c>found 1 unexpected pending operation started by ClientTests.Stop_EndsAllLoops:
    /// [async] ReconnectingClient.HeartbeatLoopAsync awaiting Task.Delay</c>, one line per operation.
    /// </summary>
    public override string ToString()
    {
        if (UnsupportedReason is not null)
        {
            return UnsupportedReason;
        }

        if (!HasLeaks)
        {
            return $"no pending operations started by {ScopeName}";
        }

        var text = new StringBuilder();
        text.Append("found ").Append(Operations.Count).Append(" unexpected pending operation").Append(Operations.Count == 1 ? "" : "s")
            .Append(" started by ").Append(ScopeName).Append(':');
        foreach (var operation in Operations)
        {
            text.Append(Operations.Count == 1 ? " " : "\n  ").Append(operation);
            if (operation.StartedBy is { } startedBy && startedBy != ScopeName)
            {
                text.Append(" (in nested scope ").Append(startedBy).Append(')');
            }
        }

        return text.ToString();
    }
}
