using System.Text;
using Lifeline.Protocol;

namespace Lifeline.Hub.Tests.Protocol;

/// <summary>
/// Feeds every parser thousands of random and mutated inputs: each must either parse or throw
/// <see cref="ProtocolException"/>, never anything else (an exception of another type would close a hub socket with 1011).
/// </summary>
public class FuzzTests
{
    private static readonly string[] Seeds =
    [
        """{"type":"publish","ref":"7","entries":[{"level":"info","source":"api","message":"hi","props":{"a":[1,2,{"b":null}]}}]}""",
        """{"type":"ack","ref":"7","count":1,"firstId":1043,"lastId":1043}""",
        """{"type":"error","ref":"7","error":"invalid_entry","message":"entry 0: message is required","index":0}""",
        """{"type":"hello","protocol":1,"lastId":1042,"heartbeatMs":30000}""",
        """{"type":"entries","entries":[{"id":1042,"ts":"2026-12-01T21:50:49.123Z","level":"warning","source":"api","message":"slow query","props":{"ms":812}}]}""",
        """{"type":"gap","fromId":1001,"toId":1500,"reason":"retention"}""",
        """{"type":"heartbeat","lastId":1042,"ts":"2026-12-01T21:50:49.123Z"}""",
        """[{"message":"a"},{"message":"b","level":"warn","ts":"2026-12-01T21:50:49Z"}]""",
        """{"count":3,"firstId":1040,"lastId":1042}""",
        """{"error":"invalid_entry","message":"entry 3: message is required","index":3}""",
    ];

    [Fact]
    public void Parsers_OnRandomAndMutatedInput_OnlyEverThrowProtocolException()
    {
        var random = new Random(12345);
        var inputs = new List<byte[]>();
        for (var i = 0; i < 3_000; i++)
        {
            var seed = Encoding.UTF8.GetBytes(Seeds[random.Next(Seeds.Length)]);
            inputs.Add(random.Next(10) == 0 ? RandomBytes(random) : Mutate(seed, random));
        }

        var parsed = 0;
        foreach (var input in inputs)
        {
            parsed += Try(() => StreamMessageJson.Parse(input));
            parsed += Try(() => IngestMessageJson.Parse(input));
            parsed += Try(() => IngestMessageJson.ParsePublishRaw(input, 64 << 10, out _));
            parsed += Try(() => EntryBatchReader.ReadArray(input, 64 << 10));
            parsed += Try(() => EntryBatchReader.ReadNdjson(input, 64 << 10));
            parsed += Try(() => LogEntryJson.Deserialize(input));
            parsed += Try(() => HttpBodyJson.ParseQueryPage(input));
            parsed += Try(() => HttpBodyJson.ParsePublishResult(input));
            parsed += Try(() => HttpBodyJson.ParseErrorBody(input));
            _ = CloseReason.TryParse(Encoding.UTF8.GetString(input), out _);
        }

        // Mutations keep some inputs valid: the fuzzer reached the success paths too.
        Assert.True(parsed > 100, $"only {parsed} inputs parsed");
    }

    private static int Try(Func<object> parse)
    {
        try
        {
            parse();
            return 1;
        }
        catch (ProtocolException)
        {
            return 0;
        }
    }

    private static byte[] RandomBytes(Random random)
    {
        var bytes = new byte[random.Next(0, 200)];
        random.NextBytes(bytes);
        return bytes;
    }

    private static byte[] Mutate(byte[] seed, Random random)
    {
        var bytes = new List<byte>(seed);
        var n = random.Next(0, 4);
        for (var i = 0; i < n && bytes.Count > 0; i++)
        {
            var at = random.Next(bytes.Count);
            switch (random.Next(5))
            {
                case 0: bytes.RemoveAt(at); break;
                case 1: bytes.Insert(at, (byte)"{}[]\",:0123456789aez-.\\ \u00ff"[random.Next(25)]); break;
                case 2: bytes[at] = (byte)random.Next(256); break;
                case 3: bytes.RemoveRange(at, Math.Min(bytes.Count - at, random.Next(1, 20))); break;
                default:
                    var from = random.Next(bytes.Count);
                    bytes.InsertRange(at, bytes.GetRange(from, Math.Min(10, bytes.Count - from)));
                    break;
            }
        }

        return [.. bytes];
    }
}
