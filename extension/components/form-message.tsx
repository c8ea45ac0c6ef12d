/** What a popup form says after it ran: a status when it worked, an alert when it did not. */
export interface FormMessageValue {
  ok: boolean;
  text: string;
  /** The stable failure code, for tests (`data-code`); never shown. */
  code?: string;
}

export function FormMessage({ message, testId }: { message: FormMessageValue; testId: string }) {
  return (
    <p
      class={message.ok ? 'muted' : 'alert'}
      role={message.ok ? 'status' : 'alert'}
      data-testid={testId}
      data-ok={String(message.ok)}
      data-code={message.code}
    >
      {message.text}
    </p>
  );
}
