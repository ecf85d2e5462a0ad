using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Lifeline.Client.Internal;

/// <summary>
/// A sentinel only its client references: if the client is collected while started and not stopped, so is the
/// sentinel, and its finalizer logs where the client was created. Stopping the client suppresses the finalizer.
/// </summary>
internal sealed class UnstoppedClientTracker
{
    private readonly ILogger _logger;
    private readonly string _name;
    private readonly string _creationSite;
    private volatile bool _started;

    public UnstoppedClientTracker(ILogger logger, string name)
    {
        _logger = logger;
        _name = name;
        _creationSite = DescribeCreationSite(new StackTrace(2, fNeedFileInfo: true));
    }

    public void MarkStarted() => _started = true;

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Usage", "CA1816", Justification = "The finalizer is the tracker's whole purpose; stopping the client is what makes it moot.")]
    public void MarkStopped() => GC.SuppressFinalize(this);

    ~UnstoppedClientTracker()
    {
        if (_started)
        {
            LifelineClient.Log.CollectedWithoutStop(_logger, _name, _creationSite);
        }
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
            var where = $"{method?.DeclaringType?.FullName}.{method?.Name}";
            return file is null ? where : $"{where} in {file}:line {frame.GetFileLineNumber()}";
        }

        return trace.ToString();
    }
}
