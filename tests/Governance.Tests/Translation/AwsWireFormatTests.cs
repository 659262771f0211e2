using System.Text;
using CsCheck;
using ProxyAdapter.Translation.Bedrock;

namespace Governance.Tests.Translation;

/// <summary>
/// SigV4 against AWS's published test suite (aws-sig-v4-test-suite: credentials AKIDEXAMPLE, 2015-08-30T12:36:00Z, us-east-1,
/// service "service") and the signing-key example of the IAM user guide; the event-stream framing against aws-c-event-stream's
/// encoded vectors.
/// </summary>
public sealed class AwsWireFormatTests
{
    private static readonly AwsCredentials Example = new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
    private static readonly DateTimeOffset SuiteTime = new(2015, 8, 30, 12, 36, 0, TimeSpan.Zero);

    [Fact]
    public void the_signing_key_is_the_one_aws_documents()
    {
        var key = SigV4.SigningKey("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215", "us-east-1", "iam");

        Assert.Equal("f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d", SigV4.Hex(key));
    }

    [Theory]
    [InlineData("get-vanilla", "GET", "/", "", "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")]
    [InlineData("get-vanilla-query-order-key-case", "GET", "/", "Param2=value2&Param1=value1", "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500")]
    [InlineData("get-vanilla-empty-query-key", "GET", "/", "Param1=value1", "a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb")]
    [InlineData("get-utf8", "GET", "/ሴ", "", "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85")]
    [InlineData("post-vanilla", "POST", "/", "", "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b")]
    [InlineData("post-vanilla-query", "POST", "/", "Param1=value1", "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11")]
    public void requests_of_the_aws_test_suite_get_its_published_signatures(string vector, string method, string path, string query, string signature)
    {
        var request = new SignableRequest(method, "example.amazonaws.com", path,
            [.. query.Split('&', StringSplitOptions.RemoveEmptyEntries).Select(p => p.Split('=')).Select(p => new KeyValuePair<string, string>(p[0], p[1]))],
            [], ReadOnlyMemory<byte>.Empty);

        var headers = SigV4.Sign(request, Example, "us-east-1", "service", SuiteTime);

        Assert.Contains(new KeyValuePair<string, string>("x-amz-date", "20150830T123600Z"), headers);
        Assert.Equal($"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature={signature}",
            headers.Single(h => h.Key == "Authorization").Value);
        Assert.NotNull(vector);
    }

    [Fact]
    public void the_string_to_sign_of_post_vanilla_is_the_suites()
    {
        var request = new SignableRequest("POST", "example.amazonaws.com", "/", [], [new("X-Amz-Date", "20150830T123600Z")], ReadOnlyMemory<byte>.Empty);
        var headers = SigV4.Canonical([new("host", request.Host), .. request.Headers]);
        var canonical = SigV4.CanonicalRequest(request, headers, SigV4.Hex(System.Security.Cryptography.SHA256.HashData([])));

        Assert.Equal("AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n553f88c9e4d10fc9e109e2aeb65f030801b70c2f6468faca261d401ae622fc87",
            SigV4.StringToSign(canonical, "20150830T123600Z", "us-east-1", "service"));
    }

    [Fact]
    public void temporary_credentials_sign_their_session_token_and_the_secret_never_shows_in_a_log_line()
    {
        var credentials = Example with { SessionToken = "token-1" };
        var headers = BedrockAuth.Sign("/model/m/converse", "{}"u8.ToArray(), credentials, "eu-west-1", SuiteTime);

        Assert.Contains(new KeyValuePair<string, string>("x-amz-security-token", "token-1"), headers);
        Assert.Contains("SignedHeaders=content-type;host;x-amz-date;x-amz-security-token", headers.Single(h => h.Key == "Authorization").Value);
        Assert.Contains("/eu-west-1/bedrock/aws4_request", headers.Single(h => h.Key == "Authorization").Value);
        Assert.DoesNotContain(Example.SecretAccessKey, credentials.ToString());
        Assert.DoesNotContain("token-1", credentials.ToString());
    }

    [Fact]
    public void the_empty_message_and_a_payload_only_message_match_aws_c_event_streams_vectors()
    {
        byte[] empty = [0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x05, 0xc2, 0x48, 0xeb, 0x7d, 0x98, 0xc8, 0xff];
        byte[] payload =
        [
            0x00, 0x00, 0x00, 0x1D, 0x00, 0x00, 0x00, 0x00, 0xfd, 0x52, 0x8c, 0x5a, 0x7b, 0x27, 0x66, 0x6f,
            0x6f, 0x27, 0x3a, 0x27, 0x62, 0x61, 0x72, 0x27, 0x7d, 0xc3, 0x65, 0x39, 0x36,
        ];

        Assert.Equal(empty, EventStream.Encode([], []));
        Assert.Equal(payload, EventStream.Encode([], "{'foo':'bar'}"u8));
        Assert.Equal("{'foo':'bar'}", Encoding.UTF8.GetString(EventStream.TryDecode(payload, out _)!.Payload.Span));
        Assert.Equal(16, EventStream.MessageLength(empty));
        Assert.Equal(-1, EventStream.MessageLength(payload.AsSpan(0, 20)));
    }

    [Fact]
    public void every_header_type_and_payload_survives_a_round_trip_and_any_flipped_bit_is_caught()
    {
        var gen = Gen.Select(Gen.String[Gen.Char.AlphaNumeric, 1, 20], Gen.String, Gen.Long, Gen.Byte.Array[0, 200]);
        gen.Sample((name, text, number, payload) =>
        {
            EventHeader[] headers =
            [
                EventHeader.Text(name, text), new(name + "i", HeaderType.Int, (int)number, default), new(name + "l", HeaderType.Long, number, default),
                new(name + "t", HeaderType.True, 1, default), new(name + "b", HeaderType.Bytes, 0, payload), new(name + "s", HeaderType.Short, (short)number, default),
            ];
            var message = EventStream.Encode(headers, payload);
            var decoded = EventStream.TryDecode(message, out _)!;
            Assert.Equal(text, decoded.Header(name));
            Assert.Equal((int)number, decoded.Headers[1].Number);
            Assert.Equal(number, decoded.Headers[2].Number);
            Assert.Equal((short)number, decoded.Headers[5].Number);
            Assert.Equal(payload, decoded.Payload.ToArray());

            var flipped = (byte[])message.Clone();
            flipped[(int)((ulong)number % (ulong)flipped.Length)] ^= 1;
            Assert.Null(EventStream.TryDecode(flipped, out _));
        });
    }
}
