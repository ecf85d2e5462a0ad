using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Lifeline.Client.Internal;

/// <summary>
/// A sentinel only its client references: if the client is collected while started and not stopped, so is the
/// sentinel, and its finalizer disposes the client's process-wide meter and, when tracking is on, logs where the
/// client was created. Stopping the client suppresses the finalizer.
/// </summary>
internal sealed class UnstoppedClientTracker
{
    private readonly ILogger _logger;
    private readonly string _name;
    private readonly string? _creationSite;
    private readonly ClientMetrics _metrics;
    private volatile bool _started;

    public UnstoppedClientTracker(ILogger logger, string name, ClientMetrics metrics, bool trackCreationSite)
    {
        _metrics = metrics;
        _logger = logger;
        _name = name;
        _creationSite = trackCreationSite ? DescribeCreationSite(new StackTrace(2, fNeedFileInfo: true)) : null;
    }

    public void MarkStarted() => _started = true;

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Usage", "CA1816", Justification = "The finalizer is the tracker's whole purpose; stopping the client is what makes it moot.")]
    public void MarkStopped() => GC.SuppressFinalize(this);

    ~UnstoppedClientTracker()
    {
        if (_started && _creationSite is not null)
        {
            LifelineClient.Log.CollectedWithoutStop(_logger, _name, _creationSite);
        }

        // The meter is registered process-wide; nobody else will dispose it now.
        _metrics.Dispose();
    }

    private static string DescribeCreationSite(StackTrace trace)
    {
        // The first frame outside this assembly is the caller's `new LifelineClient(...)`.
        foreach (var frame in trace.GetFrames())
        {
            var method = frame.GetMethod();
            if (method?.DeclaringType?.Assembly == typeof(UnstoppedClientTracker).Assembly)
            {
                continue;
            }

            var file = frame.GetFileName();
            var where = Describe(method);
            return file is null ? where : $"{where} in {file}:line {frame.GetFileLineNumber()}";
        }

        return trace.ToString();
    }

    private static string Describe(System.Reflection.MethodBase? method)
    {
        var type = method?.DeclaringType;
        var name = method?.Name;

        // An async method's frame is its state machine's MoveNext: name the method the caller wrote.
        if (type is { DeclaringType: { } outer } && type.Name.StartsWith('<') && type.Name.IndexOf('>', StringComparison.Ordinal) is > 1 and var end)
        {
            name = type.Name[1..end];
            type = outer;
        }

        return $"{type?.FullName}.{name}";
    }
}
