-- The single-row upsert a progress event makes (attendance.services._attendance_add), as
-- pgbench sends it: one student's attendance row of today, created or added to.
\set user_id random(:first_user, :last_user)
INSERT INTO "attendance_dailyattendance"
    ("user_id", "date", "total_seconds", "status", "closed", "created_at", "updated_at")
VALUES (:user_id, CURRENT_DATE, 1, 'in_progress', false, now(), now())
ON CONFLICT ("user_id", "date") DO UPDATE SET
    "total_seconds" = "attendance_dailyattendance"."total_seconds" + EXCLUDED."total_seconds",
    "status" = CASE
        WHEN "attendance_dailyattendance"."total_seconds" + EXCLUDED."total_seconds" >= 600
        THEN 'present'
        ELSE "attendance_dailyattendance"."status" END,
    "updated_at" = EXCLUDED."updated_at";
