# ruff: noqa: E501  (each paragraph of the patient text is one line)
"""The default consent document, in plain language, for a clinic to edit and publish.

Developer notes: the facts behind each paragraph (patients see none of these keys).
- What ketamine is; off-label status: IV/SC/IM/oral racemic ketamine for anxiety is off-label
  everywhere found; esketamine (SPRAVATO) is licensed for treatment-resistant depression only,
  not anxiety [clinical.md header, S1, S38].
- Evidence in anxiety is small: Glue 2017/2018/2020 (n=12–20), Taylor 2018 (n=18), a
  meta-analysis of 6 small RCTs with benefit in social anxiety but not PTSD [S8–S13].
- Routes: IV infusion ~40 min, SC/IM injection, oral/sublingual, esketamine nasal spray
  [clinical.md 3.1–3.3].
- Side effects: dissociation, raised blood pressure, nausea/vomiting, dizziness, sedation
  [clinical.md 6.1, S1]; bladder/urinary problems with frequent or heavy use [6.2];
  liver problems with repeated use [6.3, S4]; misuse and dependence [6.4, S1, S35].
- No driving or machinery until the next day after a night's sleep (SPRAVATO label: not until
  the next day after a restful sleep) [S1]; accompanied home by a responsible adult
  (UK SmPC) [S4].
- Fasting: a clinic policy; conservative default from ASA (solids 6 h, clear liquids 2 h);
  esketamine label: food 2 h, liquids 30 min [clinical-addendum 7, A21, A22].
- Pregnancy/breast-feeding: not recommended [S1, S4]; baseline pregnancy test [S39].
- Right to stop, alternatives, data use: general informed-consent principles, ASA guidance to
  educate patients about adverse effects [A15].
"""

from __future__ import annotations

DEFAULT_TITLE = "Consent to ketamine treatment for anxiety"

DEFAULT_BODY = """\
This form explains the treatment we are offering you, so that you can decide whether to have it. Please read it, ask us anything you are unsure about, and sign only when you are happy with the answers.

1. What ketamine is
Ketamine is a medicine that has been used for many years as an anaesthetic. At much lower doses it is being used to treat anxiety and depression that have not improved with other treatments.

2. Its licence
Ketamine is not licensed for treating anxiety. Using it for anxiety, whether by drip, injection, or by mouth, is called "off-label" use: a doctor may prescribe it this way, but the medicine has not been approved for this purpose. The related nasal spray esketamine is licensed for some kinds of depression only, not for anxiety.

3. How the treatment is given
Your prescriber will explain which way you will receive it: a slow drip into a vein (usually about 40 minutes), an injection under the skin or into a muscle, a tablet or lozenge, or a nasal spray. A course usually starts with several sessions over a few weeks. You stay in the clinic, with staff checking your blood pressure, breathing and well-being, until you are ready to go home.

4. What it may do for you
Some people feel their anxiety ease within hours or days. The research on ketamine for anxiety is still small, so we cannot promise it will help you, or say how long any benefit will last. We will ask you to fill in short questionnaires so that we can see together whether it is working, and we will stop if it is not.

5. Risks and side effects
During and shortly after a session you may:
- feel detached or "unreal", with changes to sight, sound or time (dissociation);
- have a rise in blood pressure and heart rate;
- feel sick or be sick, dizzy, drowsy or light-headed;
- have blurred vision or a headache.
These effects usually pass within an hour or two. Less often, and mostly with frequent or long-term use, ketamine can cause bladder problems (pain, needing to pass urine often or urgently, blood in the urine) and liver problems. Ketamine can be misused and some people become dependent on it. Please tell us at once about any bladder symptoms, and about any use of ketamine or other drugs outside the clinic.

6. Keeping you safe on the day
- Do not eat or drink for the time we tell you before each session.
- An adult you trust must take you home. You cannot leave on your own.
- Do not drive, cycle or operate machinery until the next day, after a night's sleep.
- Do not drink alcohol or take recreational drugs on the day of treatment.
- Tell us about every medicine you take, including sleeping tablets and pain relief, as some change how ketamine affects you.

7. Pregnancy and breast-feeding
Ketamine is not recommended in pregnancy or while breast-feeding. If you could become pregnant we will ask you to take a pregnancy test, and to tell us straight away if you become pregnant or are planning a pregnancy.

8. Other options
Other treatments for anxiety include talking therapies, other medicines, and continuing or changing your current treatment. You can discuss these with us or with your own doctor at any time, whether or not you have ketamine.

9. Your right to stop
Taking part is your choice. You can say no, or change your mind and stop at any time, before or during the course, without giving a reason. This will not affect the rest of your care.

10. Your information
We keep a record of your treatment, your questionnaires and your health checks to care for you safely. Only staff involved in your care can see it, and every time someone looks at your record it is logged. We may use information with your name and details removed to check how well the service works. Ask us if you would like a copy of your record or to know who has looked at it.

By signing below you confirm that you have read this form, that your questions have been answered, and that you agree to have ketamine treatment.
"""
