using Lifeline.Testing.Internal;

namespace Lifeline.Testing.Time;

/// <summary>
/// A <see cref="TimeProvider"/> whose clock moves only when a test says so (<see cref="Advance"/>,
/// <see cref="SetUtcNow"/>, or <see cref="AutoAdvanceAmount"/>), so time-dependent code is tested without
/// sleeping and without timing asserts.
/// </summary>
/// <remarks>
/// <para>
/// Thread-safe: every member may be called from any thread, including from inside a timer callback.
/// Timer callbacks run synchronously on the thread that calls <see cref="Advance"/> (or
/// <see cref="SetUtcNow"/>), outside the provider's lock, in due-time order (ties in the order the timers were
/// armed), each under the <see cref="ExecutionContext"/> captured when its timer was created (none if flow was
/// suppressed), as real timers do.
/// </para>
/// <para>
/// A timer armed with a due time of zero does not fire inside <see cref="ITimer.Change"/>: it is due now and fires
/// on the next <see cref="Advance"/>, even <c>Advance(TimeSpan.Zero)</c>.
/// </para>
/// <para>
/// Before advancing, a test waits for the code under test to arm its timer with
/// <see cref="WaitForTimersAsync"/>; otherwise the advance may happen before the timer exists and be missed.
/// </para>
/// </remarks>
public sealed partial class ManualTimeProvider : TimeProvider
{
    /// <summary>The default start time: 2000-01-01T00:00:00Z.</summary>
    public static readonly DateTimeOffset DefaultStartTime = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly Lock _gate = new();

    // Invariant: holds exactly the timers that are not disposed and have a finite due time, in arming order.
    private readonly List<ManualTimer> _armed = [];
    private readonly ThresholdWaiters _armedWaiters = new();
    private readonly TimeZoneInfo _localTimeZone;
    private DateTimeOffset _now;
    private TimeSpan _autoAdvanceAmount;
    private long _armSequence;

    /// <summary>Creates a provider whose clock starts at <see cref="DefaultStartTime"/>, in UTC.</summary>
    public ManualTimeProvider()
        : this(DefaultStartTime)
    {
    }

    /// <summary>Creates a provider whose clock starts at <paramref name="startTime"/>.</summary>
    /// <param name="startTime">The initial UTC time.</param>
    /// <param name="localTimeZone">The zone reported by <see cref="LocalTimeZone"/>; default UTC.</param>
    public ManualTimeProvider(DateTimeOffset startTime, TimeZoneInfo? localTimeZone = null)
    {
        _now = startTime.ToUniversalTime();
        _localTimeZone = localTimeZone ?? TimeZoneInfo.Utc;
    }

    /// <inheritdoc />
    public override TimeZoneInfo LocalTimeZone => _localTimeZone;

    /// <summary>Ticks per second of <see cref="GetTimestamp"/>: <see cref="TimeSpan.TicksPerSecond"/>.</summary>
    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    /// <summary>
    /// How far the clock moves after each call to <see cref="GetUtcNow"/> (firing timers that become due).
    /// </summary>
    /// <value>Default <see cref="TimeSpan.Zero"/> (the clock never moves by itself). Must not be negative.</value>
    public TimeSpan AutoAdvanceAmount
    {
        get
        {
            lock (_gate)
            {
                return _autoAdvanceAmount;
            }
        }

        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, TimeSpan.Zero, nameof(AutoAdvanceAmount));
            lock (_gate)
            {
                _autoAdvanceAmount = value;
            }
        }
    }

    /// <summary>How many timers are armed: not disposed, with a finite due time.</summary>
    public int ActiveTimerCount
    {
        get
        {
            lock (_gate)
            {
                return _armed.Count;
            }
        }
    }

    /// <summary>Time until the next armed timer is due, or <see langword="null"/> when none is armed.</summary>
    public TimeSpan? NextDueIn
    {
        get
        {
            lock (_gate)
            {
                return NextDue() is { } next ? next.DueAt!.Value - _now : null;
            }
        }
    }

    /// <summary>Returns the current time, then moves the clock by <see cref="AutoAdvanceAmount"/> if set.</summary>
    /// <returns>The current UTC time.</returns>
    public override DateTimeOffset GetUtcNow()
    {
        DateTimeOffset now;
        TimeSpan step;
        lock (_gate)
        {
            now = _now;
            step = _autoAdvanceAmount;
        }

        if (step > TimeSpan.Zero)
        {
            Advance(step);
        }

        return now;
    }

    /// <summary>A timestamp consistent with <see cref="GetUtcNow"/>: its UTC ticks. Never auto-advances.</summary>
    /// <returns>The current time in <see cref="TimestampFrequency"/> units.</returns>
    public override long GetTimestamp()
    {
        lock (_gate)
        {
            return _now.UtcTicks;
        }
    }

    /// <summary>
    /// Completes once at least <paramref name="count"/> timers are armed (see <see cref="ActiveTimerCount"/>).
    /// Await it before <see cref="Advance"/> when the code under test arms its timer on another thread.
    /// </summary>
    /// <param name="count">The number of armed timers to wait for; at least 1.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task that completes when the count is reached.</returns>
    public Task WaitForTimersAsync(int count = 1, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        return _armedWaiters.WaitAsync(count, cancellationToken);
    }

    /// <summary>Moves the clock forward to <paramref name="value"/>, firing every timer due by then.</summary>
    /// <param name="value">The new time; must not be earlier than the current time.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="value"/> is in the past.</exception>
    public void SetUtcNow(DateTimeOffset value)
    {
        lock (_gate)
        {
            if (value < _now)
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, $"Time cannot move backwards (now {_now:O}).");
            }
        }

        AdvanceTo(value);
    }

    /// <summary>
    /// Moves the clock forward by <paramref name="delta"/>, firing every timer that becomes due, in due-time order,
    /// with the clock set to each timer's due time while its callback runs. A periodic timer fires as many times
    /// as it is due. Callback exceptions do not stop the advance; they are thrown together at the end.
    /// </summary>
    /// <param name="delta">How far to move; must not be negative.</param>
    /// <exception cref="AggregateException">One or more timer callbacks threw.</exception>
    public void Advance(TimeSpan delta)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(delta, TimeSpan.Zero);
        DateTimeOffset target;
        lock (_gate)
        {
            target = _now + delta;
        }

        AdvanceTo(target);
    }

    /// <inheritdoc />
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        ArgumentNullException.ThrowIfNull(callback);
        var timer = new ManualTimer(this, callback, state, ExecutionContext.Capture());
        timer.Change(dueTime, period);
        return timer;
    }

    private void AdvanceTo(DateTimeOffset target)
    {
        List<Exception>? errors = null;
        while (true)
        {
            ManualTimer? due;
            lock (_gate)
            {
                due = NextDue();
                if (due is null || due.DueAt!.Value > target)
                {
                    if (target > _now)
                    {
                        _now = target;
                    }

                    break;
                }

                if (due.DueAt.Value > _now)
                {
                    _now = due.DueAt.Value;
                }

                if (due.Period > TimeSpan.Zero)
                {
                    due.DueAt = due.DueAt.Value + due.Period;
                }
                else
                {
                    Disarm(due);
                }
            }

            try
            {
                due.Invoke();
            }
            catch (Exception ex)
            {
                // A real timer's exception would crash the process; here the test that advanced sees it.
                (errors ??= []).Add(ex);
            }
        }

        if (errors is not null)
        {
            throw new AggregateException("One or more timer callbacks threw during ManualTimeProvider.Advance.", errors);
        }
    }

    private ManualTimer? NextDue()
    {
        ManualTimer? next = null;
        foreach (var timer in _armed)
        {
            if (next is null || timer.DueAt < next.DueAt || (timer.DueAt == next.DueAt && timer.Sequence < next.Sequence))
            {
                next = timer;
            }
        }

        return next;
    }

    private void Disarm(ManualTimer timer)
    {
        timer.DueAt = null;
        if (_armed.Remove(timer))
        {
            _armedWaiters.Publish(_armed.Count);
        }
    }
}
