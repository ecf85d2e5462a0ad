using System.Runtime.InteropServices;

namespace Lifeline.Benchmarks.Hub.Load;

/// <summary>
/// One thread that waits on Linux epoll for all of its <see cref="LeanSubscriber"/>s and reads each ready socket in
/// place: no thread-pool hop and no async state per message, so the load generator stays far cheaper per message
/// than the hub. Started with <see cref="Start"/>; <see cref="DisposeAsync"/> stops the thread (it checks a flag
/// at least every 20 ms) and joins it. Subscribers whose socket closes are dropped from the set.
/// </summary>
internal sealed partial class EpollLoop : IAsyncDisposable
{
    private const int EpollIn = 0x001;
    private const int EpollCtlAdd = 1;
    private const int EpollCtlDel = 2;
    private readonly int _epoll;
    private readonly LeanSubscriber[] _subscribers;
    private readonly Thread _thread;
    private volatile bool _stopping;
    private int _closed;

    private readonly int _cpu;

    private EpollLoop(IReadOnlyList<LeanSubscriber> subscribers, int cpu)
    {
        _cpu = cpu;
        _subscribers = [.. subscribers];
        _epoll = EpollCreate1(0);
        if (_epoll < 0)
        {
            throw new InvalidOperationException($"epoll_create1 failed: {Marshal.GetLastPInvokeError()}");
        }

        for (var i = 0; i < _subscribers.Length; i++)
        {
            _subscribers[i].MakeNonBlocking();
            var ev = new EpollEvent { Events = EpollIn, Data = (ulong)i };
            if (EpollCtl(_epoll, EpollCtlAdd, _subscribers[i].Descriptor, ref ev) != 0)
            {
                throw new InvalidOperationException($"epoll_ctl failed: {Marshal.GetLastPInvokeError()}");
            }
        }

        _thread = new Thread(Run) { IsBackground = true, Name = "lean-subscribers" };
    }

    /// <summary>Starts reading <paramref name="subscribers"/> on a new thread (Linux only), pinned to <paramref name="cpu"/> if given.</summary>
    public static EpollLoop Start(IReadOnlyList<LeanSubscriber> subscribers, int cpu = -1)
    {
        var loop = new EpollLoop(subscribers, cpu);
        loop._thread.Start();
        return loop;
    }

    /// <summary>Subscribers whose socket closed or failed.</summary>
    public int Closed => Volatile.Read(ref _closed);

    public async ValueTask DisposeAsync()
    {
        _stopping = true;
        await Task.Run(_thread.Join).ConfigureAwait(false);
        Close(_epoll);
    }

    private void Run()
    {
        if (_cpu >= 0)
        {
            ThreadAffinity.PinCurrentThread(_cpu);
        }

        var events = new EpollEvent[256];
        var closed = new bool[_subscribers.Length];

        // What arrived with the upgrade response (the hello) is parsed before the first wait.
        for (var i = 0; i < _subscribers.Length; i++)
        {
            closed[i] = !_subscribers[i].ReceiveAvailable();
        }

        Volatile.Write(ref _closed, closed.Count(c => c));

        while (!_stopping)
        {
            var n = EpollWait(_epoll, events, events.Length, 20);
            for (var k = 0; k < n; k++)
            {
                var i = (int)events[k].Data;
                if (!closed[i] && !_subscribers[i].ReceiveAvailable())
                {
                    // Level-triggered: a closed socket would stay ready for ever.
                    closed[i] = true;
                    Interlocked.Increment(ref _closed);
                    var ev = default(EpollEvent);
                    EpollCtl(_epoll, EpollCtlDel, _subscribers[i].Descriptor, ref ev);
                }
            }
        }
    }

    [StructLayout(LayoutKind.Sequential, Pack = 1)]
    private struct EpollEvent
    {
        public uint Events;
        public ulong Data;
    }

    [LibraryImport("libc", EntryPoint = "epoll_create1", SetLastError = true)]
    private static partial int EpollCreate1(int flags);

    [LibraryImport("libc", EntryPoint = "epoll_ctl", SetLastError = true)]
    private static partial int EpollCtl(int epfd, int op, int fd, ref EpollEvent ev);

    [LibraryImport("libc", EntryPoint = "epoll_wait", SetLastError = true)]
    private static partial int EpollWait(int epfd, [Out] EpollEvent[] events, int maxEvents, int timeout);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
