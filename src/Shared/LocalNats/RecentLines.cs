namespace Lifeline.LocalNats;

/// <summary>
/// The last lines a child process wrote (a nats-server's or a hub node's log), kept so that a failure can quote why the
/// process failed. Bounded: the oldest line goes when a new one would exceed <c>capacity</c>. Thread-safe: one reader
/// loop adds while any thread reads.
/// </summary>
internal sealed class RecentLines(int capacity)
{
    private readonly Queue<string> _lines = new();

    /// <summary>Keeps <paramref name="line"/>, dropping the oldest when full.</summary>
    public void Add(string line)
    {
        lock (_lines)
        {
            _lines.Enqueue(line);
            if (_lines.Count > capacity)
            {
                _lines.Dequeue();
            }
        }
    }

    /// <summary>The last line, or <c>(none)</c> before the first.</summary>
    public string Last()
    {
        lock (_lines)
        {
            return _lines.Count == 0 ? "(none)" : _lines.Last();
        }
    }

    /// <summary>Every kept line, oldest first, one per line.</summary>
    public override string ToString()
    {
        lock (_lines)
        {
            return string.Join('\n', _lines);
        }
    }
}
