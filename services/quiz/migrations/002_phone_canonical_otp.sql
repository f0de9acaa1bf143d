-- Phone numbers in ONE canonical form (issue 12): the national form `0` + 9 ASCII digits, the only
-- form the service writes from now on (services/quiz/domain.py normalize_phone). Before this, a
-- Unicode decimal digit ("091２000001", "091364048٠") passed the check and was stored as typed, so
-- one phone could hold two accounts and dodge the exclusion list.
--
-- 1. Every Unicode decimal digit becomes its ASCII digit (the old check accepted nothing else: the
--    separators were already dropped and the prefixes already rewritten to `0`).
-- 2. Two rows of a contest that now denote the same phone: the EARLIEST registration keeps the phone
--    (created_at, then participant_id); each later one keeps its id, name and attempts (history and
--    boards stay as they were) but loses its phone — phone NULL, duplicate_of = the kept participant —
--    so nobody can log in to it again and it cannot start attempts (attempts.py). Nothing is deleted
--    and the migration cannot fail on such pairs; organizers find them with
--    `SELECT * FROM participants WHERE duplicate_of IS NOT NULL`.
-- 3. From now on the database itself refuses any other form (NOT VALID: rows from before are not
--    re-checked, so a hand-edited oddity cannot stop the upgrade).
-- Also: phone_verified_at (set when a one-time code proved the phone) and the OTP request/failure
-- logs that the per-phone and per-IP limits count (multi-replica safe, unlike process memory).

ALTER TABLE participants ALTER COLUMN phone DROP NOT NULL;
ALTER TABLE participants ADD COLUMN IF NOT EXISTS duplicate_of text REFERENCES participants (participant_id);
ALTER TABLE participants ADD COLUMN IF NOT EXISTS phone_verified_at timestamptz;

CREATE TEMP TABLE canonical_phones ON COMMIT DROP AS
SELECT participant_id, contest_id, created_at, phone AS raw, translate(phone,
        '٠١٢٣٤٥٦٧٨٩' ||  -- arabic-indic
        '۰۱۲۳۴۵۶۷۸۹' ||  -- extended arabic-indic
        '߀߁߂߃߄߅߆߇߈߉' ||  -- nko
        '०१२३४५६७८९' ||  -- devanagari
        '০১২৩৪৫৬৭৮৯' ||  -- bengali
        '੦੧੨੩੪੫੬੭੮੯' ||  -- gurmukhi
        '૦૧૨૩૪૫૬૭૮૯' ||  -- gujarati
        '୦୧୨୩୪୫୬୭୮୯' ||  -- oriya
        '௦௧௨௩௪௫௬௭௮௯' ||  -- tamil
        '౦౧౨౩౪౫౬౭౮౯' ||  -- telugu
        '೦೧೨೩೪೫೬೭೮೯' ||  -- kannada
        '൦൧൨൩൪൫൬൭൮൯' ||  -- malayalam
        '෦෧෨෩෪෫෬෭෮෯' ||  -- sinhala lith
        '๐๑๒๓๔๕๖๗๘๙' ||  -- thai
        '໐໑໒໓໔໕໖໗໘໙' ||  -- lao
        '༠༡༢༣༤༥༦༧༨༩' ||  -- tibetan
        '၀၁၂၃၄၅၆၇၈၉' ||  -- myanmar
        '႐႑႒႓႔႕႖႗႘႙' ||  -- myanmar shan
        '០១២៣៤៥៦៧៨៩' ||  -- khmer
        '᠐᠑᠒᠓᠔᠕᠖᠗᠘᠙' ||  -- mongolian
        '᥆᥇᥈᥉᥊᥋᥌᥍᥎᥏' ||  -- limbu
        '᧐᧑᧒᧓᧔᧕᧖᧗᧘᧙' ||  -- new tai lue
        '᪀᪁᪂᪃᪄᪅᪆᪇᪈᪉' ||  -- tai tham hora
        '᪐᪑᪒᪓᪔᪕᪖᪗᪘᪙' ||  -- tai tham tham
        '᭐᭑᭒᭓᭔᭕᭖᭗᭘᭙' ||  -- balinese
        '᮰᮱᮲᮳᮴᮵᮶᮷᮸᮹' ||  -- sundanese
        '᱀᱁᱂᱃᱄᱅᱆᱇᱈᱉' ||  -- lepcha
        '᱐᱑᱒᱓᱔᱕᱖᱗᱘᱙' ||  -- ol chiki
        '꘠꘡꘢꘣꘤꘥꘦꘧꘨꘩' ||  -- vai
        '꣐꣑꣒꣓꣔꣕꣖꣗꣘꣙' ||  -- saurashtra
        '꤀꤁꤂꤃꤄꤅꤆꤇꤈꤉' ||  -- kayah li
        '꧐꧑꧒꧓꧔꧕꧖꧗꧘꧙' ||  -- javanese
        '꧰꧱꧲꧳꧴꧵꧶꧷꧸꧹' ||  -- myanmar tai laing
        '꩐꩑꩒꩓꩔꩕꩖꩗꩘꩙' ||  -- cham
        '꯰꯱꯲꯳꯴꯵꯶꯷꯸꯹' ||  -- meetei mayek
        '０１２３４５６７８９' ||  -- fullwidth
        '𐒠𐒡𐒢𐒣𐒤𐒥𐒦𐒧𐒨𐒩' ||  -- osmanya
        '𐴰𐴱𐴲𐴳𐴴𐴵𐴶𐴷𐴸𐴹' ||  -- hanifi rohingya
        '𑁦𑁧𑁨𑁩𑁪𑁫𑁬𑁭𑁮𑁯' ||  -- brahmi
        '𑃰𑃱𑃲𑃳𑃴𑃵𑃶𑃷𑃸𑃹' ||  -- sora sompeng
        '𑄶𑄷𑄸𑄹𑄺𑄻𑄼𑄽𑄾𑄿' ||  -- chakma
        '𑇐𑇑𑇒𑇓𑇔𑇕𑇖𑇗𑇘𑇙' ||  -- sharada
        '𑋰𑋱𑋲𑋳𑋴𑋵𑋶𑋷𑋸𑋹' ||  -- khudawadi
        '𑑐𑑑𑑒𑑓𑑔𑑕𑑖𑑗𑑘𑑙' ||  -- newa
        '𑓐𑓑𑓒𑓓𑓔𑓕𑓖𑓗𑓘𑓙' ||  -- tirhuta
        '𑙐𑙑𑙒𑙓𑙔𑙕𑙖𑙗𑙘𑙙' ||  -- modi
        '𑛀𑛁𑛂𑛃𑛄𑛅𑛆𑛇𑛈𑛉' ||  -- takri
        '𑜰𑜱𑜲𑜳𑜴𑜵𑜶𑜷𑜸𑜹' ||  -- ahom
        '𑣠𑣡𑣢𑣣𑣤𑣥𑣦𑣧𑣨𑣩' ||  -- warang citi
        '𑥐𑥑𑥒𑥓𑥔𑥕𑥖𑥗𑥘𑥙' ||  -- dives akuru
        '𑱐𑱑𑱒𑱓𑱔𑱕𑱖𑱗𑱘𑱙' ||  -- bhaiksuki
        '𑵐𑵑𑵒𑵓𑵔𑵕𑵖𑵗𑵘𑵙' ||  -- masaram gondi
        '𑶠𑶡𑶢𑶣𑶤𑶥𑶦𑶧𑶨𑶩' ||  -- gunjala gondi
        '𖩠𖩡𖩢𖩣𖩤𖩥𖩦𖩧𖩨𖩩' ||  -- mro
        '𖫀𖫁𖫂𖫃𖫄𖫅𖫆𖫇𖫈𖫉' ||  -- tangsa
        '𖭐𖭑𖭒𖭓𖭔𖭕𖭖𖭗𖭘𖭙' ||  -- pahawh hmong
        '𝟎𝟏𝟐𝟑𝟒𝟓𝟔𝟕𝟖𝟗' ||  -- mathematical bold
        '𝟘𝟙𝟚𝟛𝟜𝟝𝟞𝟟𝟠𝟡' ||  -- mathematical double-struck
        '𝟢𝟣𝟤𝟥𝟦𝟧𝟨𝟩𝟪𝟫' ||  -- mathematical sans-serif
        '𝟬𝟭𝟮𝟯𝟰𝟱𝟲𝟳𝟴𝟵' ||  -- mathematical sans-serif bold
        '𝟶𝟷𝟸𝟹𝟺𝟻𝟼𝟽𝟾𝟿' ||  -- mathematical monospace
        '𞅀𞅁𞅂𞅃𞅄𞅅𞅆𞅇𞅈𞅉' ||  -- nyiakeng puachue hmong
        '𞋰𞋱𞋲𞋳𞋴𞋵𞋶𞋷𞋸𞋹' ||  -- wancho
        '𞥐𞥑𞥒𞥓𞥔𞥕𞥖𞥗𞥘𞥙' ||  -- adlam
        '🯰🯱🯲🯳🯴🯵🯶🯷🯸🯹',  -- segmented
        '01234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789') AS phone
FROM participants WHERE phone IS NOT NULL;

CREATE TEMP TABLE phone_keepers ON COMMIT DROP AS
SELECT participant_id, phone, first_value(participant_id) OVER (
           PARTITION BY contest_id, phone ORDER BY created_at, participant_id) AS keeper
FROM canonical_phones;

-- Later duplicates first, so that no UPDATE below ever meets the unique constraint.
DELETE FROM otp_codes WHERE participant_id IN (SELECT participant_id FROM phone_keepers WHERE participant_id <> keeper);
UPDATE participants p SET phone = NULL, duplicate_of = k.keeper
FROM phone_keepers k WHERE p.participant_id = k.participant_id AND k.participant_id <> k.keeper;
UPDATE participants p SET phone = k.phone
FROM phone_keepers k WHERE p.participant_id = k.participant_id AND k.participant_id = k.keeper AND p.phone <> k.phone;

ALTER TABLE participants ADD CONSTRAINT participants_phone_canonical CHECK (phone ~ '^0[0-9]{9}$') NOT VALID;

-- One row per code sent (or asked for an unregistered phone: same treatment, so the limits do not
-- tell who takes part). Counted for the cooldown, the daily cap per phone and the cap per IP.
CREATE TABLE IF NOT EXISTS otp_requests (
    id           bigserial PRIMARY KEY,
    contest_id   text        NOT NULL,
    phone        text        NOT NULL,
    ip           text        NOT NULL,
    requested_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX IF NOT EXISTS otp_requests_by_phone ON otp_requests (contest_id, phone, requested_at);
CREATE INDEX IF NOT EXISTS otp_requests_by_ip ON otp_requests (ip, requested_at);

-- One row per wrong code: the try limit counts these over a day, so a new code does not reset it.
CREATE TABLE IF NOT EXISTS otp_failures (
    id         bigserial PRIMARY KEY,
    contest_id text        NOT NULL,
    phone      text        NOT NULL,
    failed_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX IF NOT EXISTS otp_failures_by_phone ON otp_failures (contest_id, phone, failed_at);
